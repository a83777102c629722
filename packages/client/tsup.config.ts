import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    // dist/ is emptied by the build script (two configs write into it at once).
    clean: false,
  },
  {
    // `mi`: one file with the pure parts (protocol, UDP transport) inlined, so that a call loads
    // few modules; the shell, --version and the UDP code are chunks loaded when needed. The UNIX
    // transport stays a package import (its native addon sits beside its own dist/).
    entry: ['src/cli.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    sourcemap: true,
    splitting: true,
    minify: true,
    noExternal: ['@mi-datagram/protocol', '@mi-datagram/transport-udp'],
    external: ['@mi-datagram/transport-unix'],
  },
]);
