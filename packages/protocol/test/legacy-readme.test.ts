/// <reference types="node" />
/** The README's example runs, and prints what the README says it prints. */
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import { expect, test } from 'vitest';
import * as api from '../src/index.js';

test('README example runs and its printed output matches the comments', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const importLine = /import \{([^}]*)\} from '@mi-datagram\/protocol';/;
  expect(block).toMatch(importLine);
  // The example is plain JavaScript apart from the import.
  const body = block!.replace(importLine, 'const {$1} = api;');
  const printed: string[] = [];
  const fakeConsole = { log: (...a: unknown[]) => printed.push(format(...a)) };
  new Function('api', 'console', body)(api, fakeConsole);

  expect(printed).toEqual([
    ':cache_store:\nlocal\nkey::k1\nvalue::"two\nlines \\"quoted\\""\n',
    String.raw`cache_store [{"name":null,"value":"local"},{"name":"key","value":"k1"},{"name":"value","value":"two\nlines \"quoted\""}]`,
    '"200 OK\\nProcess::  ID=0 PID=42 Type=main\\n\\n"',
    "tree 200 [ [ 'ID', '0' ], [ 'PID', '42' ], [ 'Type', 'main' ] ]",
    'PARSE_ERROR 8',
    '"400 parse_error\\n"',
  ]);
  // ...and the README shows each of them in a comment.
  const comments = block!
    .split('\n')
    .map((l) => l.match(/\/\/ ?(.*)$/)?.[1])
    .filter((c): c is string => c !== undefined)
    .join('\n');
  for (const out of printed) expect(comments).toContain(out.trimEnd());
});
