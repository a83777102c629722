import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const ENTRY = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('README', () => {
  it('runs the example and prints what it says', async () => {
    const text = readFileSync(README, 'utf8');
    const section = text.slice(text.indexOf('## Example'));
    const match = /```ts\n([\s\S]*?)```/.exec(section);
    expect(match).not.toBeNull();
    const code = (match?.[1] ?? '').replace("'@mi-datagram/transport-udp'", JSON.stringify(ENTRY));
    expect(code).toContain(ENTRY);
    const dir = await mkdtemp(join(tmpdir(), 'udp-readme-'));
    const file = join(dir, 'example.ts');
    writeFileSync(file, code);
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    const errors = vi.spyOn(console, 'error');
    try {
      await import(/* @vite-ignore */ pathToFileURL(file).href);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^listening on udp:(127\.0\.0\.1|\[::1\]):\d+$/);
    expect(lines[1]).toBe(JSON.stringify('\n:hcihw:'));
    expect(errors).not.toHaveBeenCalled();
  });
});
