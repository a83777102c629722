// Commands module loaded by the server under soak (`--commands`), besides
// packages/server/examples/commands.mjs (which provides `echo`).
// Plain JavaScript: every worker process loads it.

export const moduleName = 'soak';

export default [
  {
    name: 'soak_throw',
    help: 'always throws a plain Error (expected reply: 500 command failed)',
    handler() {
      throw new Error('soak_throw: deliberate failure');
    },
  },
  {
    name: 'soak_hang',
    help: 'never settles (its request is never answered; the server must keep serving others)',
    // The longest deadline there is: within a soak it is never answered (the
    // oracle expects no reply), as before handler deadlines existed.
    timeoutMs: 2_147_483_647,
    handler() {
      return new Promise(() => {});
    },
  },
  {
    name: 'soak_stuck',
    help: 'never settles and ignores its abort signal (the overload phase floods it)',
    handler() {
      return new Promise(() => {});
    },
  },
  {
    name: 'soak_slow',
    help: 'soak_slow MS: answers "slept:: MS" after MS milliseconds (0-5000)',
    handler(request) {
      const ms = Number(request.args[0]?.value ?? '0');
      const delay = Number.isInteger(ms) && ms >= 0 && ms <= 5000 ? ms : 0;
      return new Promise((resolve) => {
        setTimeout(() => resolve({ nodes: [{ name: 'slept', value: String(delay) }] }), delay);
      });
    },
  },
];
