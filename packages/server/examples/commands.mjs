// Example commands module for `mi-datagram-server --commands FILE`.
// Plain JavaScript: the default export is an array of command definitions
// (see the package README). `pnpm start` at the repository root loads it.

import { statistics } from '@mi-datagram/server';

/** Shown as `Exported by::` in `help`. Optional: defaults to the file's base name. */
export const moduleName = 'example';

/** In-memory store of the `local` cache system: key → { value, expires (ms, 0 = never) }. */
const local = new Map();

function lookup(key) {
  const entry = local.get(key);
  if (entry === undefined) return undefined;
  if (entry.expires !== 0 && entry.expires <= Date.now()) {
    local.delete(key);
    return undefined;
  }
  return entry.value;
}

// Statistics of this module (README "Statistics"): registered once, at load;
// `get_statistics example:` shows them, /metrics too.
const stores = statistics.counter('example', 'cache_stores', {
  help: 'values stored with cache_store',
});
statistics.gauge('example', 'cache_entries', {
  read: () => local.size,
  help: 'entries in the local cache (expired ones included until read)',
});

/** The arguments' values in order (a `name::value` argument counts by its value). */
function values(request) {
  return request.args.map((arg) => arg.value);
}

function checkSystem(system) {
  return system === 'local' ? null : { code: 400, reason: 'Unknown cache system' };
}

export default [
  {
    name: 'cache_store',
    help: 'stores a value in a cache: cache_store SYSTEM KEY VALUE [EXPIRE_SECONDS]',
    level: 'operator',
    handler(request) {
      const [system, key, value, expire] = values(request);
      if (system == null || key == null || value == null) {
        return { code: 404, reason: 'Too few arguments' };
      }
      const refused = checkSystem(system);
      if (refused !== null) return refused;
      let expires = 0;
      if (expire != null) {
        if (!/^[0-9]+$/.test(expire)) return { code: 400, reason: 'Bad expire value' };
        if (Number(expire) > 0) expires = Date.now() + Number(expire) * 1000;
      }
      local.set(key, { value, expires });
      stores.inc();
      return undefined; // 200 OK
    },
  },
  {
    name: 'cache_fetch',
    help: 'fetches a value from a cache: cache_fetch SYSTEM KEY',
    handler(request) {
      const [system, key] = values(request);
      if (system == null || key == null) return { code: 404, reason: 'Too few arguments' };
      const refused = checkSystem(system);
      if (refused !== null) return refused;
      const value = lookup(key);
      if (value === undefined) return { nodes: [{ value: 'Value not found' }] };
      return {
        nodes: [
          { name: 'key', value: key },
          { name: 'value', value },
        ],
      };
    },
  },
  {
    name: 'cache_remove',
    help: 'removes a value from a cache: cache_remove SYSTEM KEY',
    level: 'operator',
    handler(request) {
      const [system, key] = values(request);
      if (system == null || key == null) return { code: 404, reason: 'Too few arguments' };
      const refused = checkSystem(system);
      if (refused !== null) return refused;
      local.delete(key);
      return undefined;
    },
  },
  {
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
