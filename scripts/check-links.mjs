// Every relative link in the repository's Markdown (README files, docs/) must
// name a file or folder that exists; a `#fragment` into a Markdown file must
// name one of its headings (GitHub's anchor rules). External links are not
// fetched. Usage: node scripts/check-links.mjs [FILE.md...]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
// Documents another change is writing now: a link to them is reported, not failed. Remove an
// entry once the file exists.
const PENDING = new Set(['docs/security.md']);
const pending = [];

function markdownFiles() {
  const files = [join(root, 'README.md')];
  for (const dir of ['docs', 'packages', 'tools']) {
    const base = join(root, dir);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base)) {
      const path = join(base, name);
      if (name.endsWith('.md')) files.push(path);
      else if (statSync(path).isDirectory() && existsSync(join(path, 'README.md'))) {
        files.push(join(path, 'README.md'));
      }
    }
  }
  return files;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'. */
function anchors(file) {
  const seen = new Map();
  const out = new Set();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = m[1]
      .replace(/`/g, '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

const problems = [];
const files =
  process.argv.length > 2 ? process.argv.slice(2).map((f) => resolve(f)) : markdownFiles();
for (const file of files) {
  let fenced = false;
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, index) => {
    if (line.startsWith('```')) fenced = !fenced;
    if (fenced) return;
    for (const m of line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1];
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, mailto:, …
      const [path, fragment] = target.split('#');
      const resolved = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
      const where = `${relative(root, file)}:${index + 1}`;
      if (!resolved.startsWith(root)) problems.push(`${where}: ${target} leaves the repository`);
      else if (!existsSync(resolved)) {
        if (PENDING.has(relative(root, resolved))) pending.push(`${where}: ${target}`);
        else problems.push(`${where}: ${target} does not exist`);
      } else if (fragment && resolved.endsWith('.md') && !anchors(resolved).has(fragment)) {
        problems.push(`${where}: ${target}: no heading with that anchor`);
      }
    }
  });
}
if (problems.length > 0) {
  console.error(`broken links:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
if (pending.length > 0)
  console.log(`links to documents not written yet:\n  ${pending.join('\n  ')}`);
console.log(`links ok in ${files.length} Markdown files`);
