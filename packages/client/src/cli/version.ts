import { readFileSync } from 'node:fs';

/** `mi --version`: the client package's version (its package.json, beside dist/). */
export function versionLine(): string {
  const file = new URL('../package.json', import.meta.url);
  const { name, version } = JSON.parse(readFileSync(file, 'utf8')) as {
    readonly name: string;
    readonly version: string;
  };
  return `mi ${version} (${name}, Node.js ${process.version})\n`;
}
