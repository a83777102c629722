// prepack of @mi-datagram/protocol: copies docs/protocol.md into the package as
// protocol.md, with its links to ../packages/protocol/X rewritten to X so that
// they resolve inside the tarball. Fails on any other link leaving the package.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const text = readFileSync(join(root, 'docs', 'protocol.md'), 'utf8').replaceAll(
  '](../packages/protocol/',
  '](',
);
const outside = [...text.matchAll(/\]\((\.\.\/[^)]*)\)/g)].map((m) => m[1]);
if (outside.length > 0) {
  console.error(`docs/protocol.md links outside the protocol package: ${outside.join(', ')}`);
  process.exit(1);
}
writeFileSync(join(root, 'packages', 'protocol', 'protocol.md'), text);
