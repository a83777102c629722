/**
 * Reads a recording of real OpenSIPS replies (../shared/conformance/*.txt):
 * `### title` sections with `REQ (n bytes): b'...'` and `REP (n bytes):
 * b'...'` lines holding Python bytes literals.
 */
import { readFileSync } from 'node:fs';
import { pythonBytes } from '@mi-datagram/test-helpers';

export interface RecordedExchange {
  readonly title: string;
  readonly request: Buffer;
  readonly reply: Buffer | null;
}

function tryBytes(text: string): Buffer | null {
  try {
    return pythonBytes(text);
  } catch {
    // Abbreviated in the recording (`b'...' ... (note)`): not replayable.
    return null;
  }
}

/** Every replayable exchange of a recording, keyed by its `###` title. */
export function readRecording(url: URL): Map<string, RecordedExchange> {
  const out = new Map<string, RecordedExchange>();
  let title = '';
  let request: Buffer | null = null;
  for (const line of readFileSync(url, 'latin1').split('\n')) {
    if (line.startsWith('### ')) {
      title = line.slice(4);
      request = null;
    } else if (line.startsWith('REQ')) {
      request = tryBytes(line.slice(line.indexOf(': ') + 2));
    } else if (line.startsWith('REP') && request !== null) {
      const rest = line.slice(line.indexOf(': ') + 2);
      const reply = rest === 'none' ? null : tryBytes(rest);
      if (rest === 'none' || reply !== null) out.set(title, { title, request, reply });
    }
  }
  return out;
}
