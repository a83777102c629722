// Example commands module for `mi-datagram-server --commands FILE`.
// Plain JavaScript: the default export is an array of command definitions
// (see the package README and docs/commands.md). `pnpm start` at the
// repository root loads it.
//
// The cache commands answer as OpenSIPS does with cachedb_local: the shapes
// of OpenSIPS 3 over JSON-RPC, those of OpenSIPS 2.4 over legacy text. Their
// data lives in the server's shared store (`request.shared`), which every
// worker process sees: with `--children-count 2` a value stored through one
// worker is fetched through the other.

import { events, statistics } from '@mi-datagram/server';

/** Shown as `Exported by::` in `help`. Optional: defaults to the file's base name. */
export const moduleName = 'example';

/** The one cache system of this module, as cachedb_local names it. */
const SYSTEM = 'local';

/**
 * The checks OpenSIPS makes on the `system` and `attr` parameters. Returns
 * the store key, or the result to answer: `paramsError` is a refused value
 * (`-32602 Invalid params` with that text over JSON-RPC, `400 Bad parameter`
 * over legacy text), `failure` an unknown cache system.
 */
function cacheKey(params, failure) {
  if (params.system === '') return { result: { paramsError: 'Empty memory cache id' } };
  if (params.attr === '') return { result: { paramsError: 'Empty attribute name' } };
  if (params.system !== SYSTEM) return { result: failure };
  return { key: `cache:${SYSTEM}:${params.attr}` };
}

/** The 2.4 original words a wrong number of arguments this way for the cache commands. */
const TOO_FEW = { code: 404, reason: 'Too few arguments' };

// A statistic of this module (README "Statistics"): registered once, at load;
// `get_statistics example:` shows it, /metrics too.
const stores = statistics.counter('example', 'cache_stores', {
  help: 'values stored with cache_store',
});
/** Keys this process stored and did not remove (expired ones included until removed). */
const storedKeys = new Set();
statistics.gauge('example', 'cache_entries', {
  read: () => storedKeys.size,
  help: 'keys stored through this process and not removed (expired ones included)',
});

// An event of this module (docs/events.md): declared once, at load; raised by
// cache_store. `mi subscribe E_CACHE_STORED` prints one line per stored value;
// raising it costs nothing while nobody is subscribed.
events.declare('E_CACHE_STORED');

export default [
  {
    name: 'cache_store',
    help: 'stores a value in a cache system: system, attr, value [, expire seconds]',
    level: 'operator',
    params: {
      system: { type: 'string', description: 'cache system (local)' },
      attr: { type: 'string', description: 'key' },
      value: { type: 'string', description: 'value to store' },
      expire: { type: 'integer', description: 'lifetime in seconds (0: no expiry)' },
    },
    recipes: [
      ['system', 'attr', 'value'],
      ['system', 'attr', 'value', 'expire'],
    ],
    legacyCountError: TOO_FEW,
    async handler({ params, shared }) {
      const { key, result } = cacheKey(params, { code: 500, reason: 'Cache store command failed' });
      if (key === undefined) return result;
      if (params.value === '') return { paramsError: 'Empty value' };
      const expire = params.expire ?? 0;
      if (expire < 0) return { paramsError: 'Negative expire value' };
      await shared.set(key, params.value, expire);
      stores.inc();
      events.raise('E_CACHE_STORED', { system: params.system, attr: params.attr });
      storedKeys.add(key);
      return undefined; // 200 OK / "OK"
    },
  },
  {
    name: 'cache_fetch',
    help: 'fetches a value from a cache system: system, attr',
    params: {
      system: { type: 'string', description: 'cache system (local)' },
      attr: { type: 'string', description: 'key' },
    },
    legacyCountError: TOO_FEW,
    async handler({ params, shared, protocol }) {
      const { key, result } = cacheKey(params, { code: 500, reason: 'Cache fetch command failed' });
      if (key === undefined) return result;
      const value = await shared.get(key);
      if (value === undefined || value === '') {
        // OpenSIPS 3 answers an error; 2.4 answered a 200 reply holding the text.
        return protocol === 'jsonrpc'
          ? { code: 400, reason: 'Value not found' }
          : { nodes: [{ value: 'Value not found' }] };
      }
      return { json: { key: params.attr, value } };
    },
  },
  {
    name: 'cache_remove',
    help: 'removes a value from a cache system: system, attr',
    level: 'operator',
    params: {
      system: { type: 'string', description: 'cache system (local)' },
      attr: { type: 'string', description: 'key' },
    },
    legacyCountError: TOO_FEW,
    async handler({ params, shared }) {
      const { key, result } = cacheKey(params, {
        code: 500,
        reason: 'Cache remove command failed',
      });
      if (key === undefined) return result;
      await shared.delete(key);
      storedKeys.delete(key);
      return undefined;
    },
  },
  {
    // Declares no parameters: its handler gets the raw arguments.
    name: 'echo',
    help: 'returns its arguments, one node each (name:: value, or the value alone)',
    handler(request) {
      return {
        nodes: request.args.map((arg) =>
          arg.name === null ? { value: arg.value } : { name: arg.name, value: arg.value },
        ),
      };
    },
  },
];
