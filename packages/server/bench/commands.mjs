// Commands of the pool benchmark (`bench/run.mjs --pool`): `burn` spins the
// CPU for BURN_US microseconds (default 200) per request, a stand-in for a
// command that does real work; the pool should scale it with the cores.
const BURN_NS = BigInt(Number(process.env.BURN_US ?? 200) * 1000);

export const moduleName = 'bench';

/**
 * Commands that only pad the registry, so that `which` lists 21 names (10 of the
 * server, `burn`, these 10), as the OpenSIPS the matrix is compared with: the
 * `which` reply has about the same size on both sides.
 */
const PADDING = Array.from({ length: 10 }, (_, i) => ({
  name: `bench_padding_${String(i + 1).padStart(2, '0')}`,
  help: 'does nothing (pads the command list of the benchmark)',
  noInput: true,
  handler: () => undefined,
}));

export default [
  ...PADDING,
  {
    name: 'burn',
    help: 'busy-loops about 200 µs, then answers 200 OK',
    noInput: true,
    handler() {
      const end = process.hrtime.bigint() + BURN_NS;
      let spins = 0;
      while (process.hrtime.bigint() < end) spins++;
      return { nodes: [{ name: 'spins', value: String(spins) }] };
    },
  },
];
