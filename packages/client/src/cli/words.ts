/** Splitting a shell line into words, as a POSIX shell quotes them. */

export class WordsError extends Error {
  override readonly name = 'WordsError';
  readonly code = 'UNTERMINATED_QUOTE';
}

/**
 * The words of `line`: blanks separate words; `'…'` keeps everything literally; `"…"` keeps
 * everything but `\"` and `\\`; a backslash elsewhere keeps the next character. An unterminated
 * quote throws {@link WordsError} (unless `partial`: then the open word ends the line, for
 * completion).
 */
export function splitWords(line: string, partial = false): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i] as string;
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (ch === "'" || ch === '"') {
      const end = closing(line, i + 1, ch);
      if (end === -1) {
        if (!partial) throw new WordsError(`unterminated ${ch} quote`);
        word += unquote(line.slice(i + 1), ch);
        i = line.length;
        continue;
      }
      word += unquote(line.slice(i + 1, end), ch);
      i = end + 1;
      continue;
    }
    if (ch === '\\' && i + 1 < line.length) {
      word += line[i + 1];
      i += 2;
      continue;
    }
    word += ch;
    i++;
  }
  if (inWord) words.push(word);
  return words;
}

function closing(line: string, from: number, quote: string): number {
  for (let i = from; i < line.length; i++) {
    if (line[i] === quote) return i;
    if (quote === '"' && line[i] === '\\') i++;
  }
  return -1;
}

function unquote(text: string, quote: string): string {
  return quote === "'" ? text : text.replace(/\\(["\\])/g, '$1');
}
