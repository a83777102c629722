/**
 * Test-only byte helpers, independent of the production UTF-8 and JSON code:
 * UTF-8 comes from `encodeURIComponent`/`decodeURIComponent`, JSON checks
 * from the engine's `JSON.parse`.
 */

/** UTF-8 bytes of `text` (throws URIError on a lone surrogate). */
export function utf8(text: string): Uint8Array {
  const escaped = encodeURIComponent(text);
  const out: number[] = [];
  for (let i = 0; i < escaped.length; i++) {
    if (escaped[i] === '%') {
      out.push(Number.parseInt(escaped.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(escaped.charCodeAt(i));
    }
  }
  return Uint8Array.from(out);
}

/** Concatenates strings (as UTF-8) and raw byte lists. */
export function bytes(...parts: readonly (string | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === 'string') out.push(...utf8(part));
    else out.push(...part);
  }
  return Uint8Array.from(out);
}

/** Decodes UTF-8 (throws URIError on invalid UTF-8). */
export function text(data: Uint8Array): string {
  let escaped = '';
  for (const b of data) escaped += `%${b.toString(16).padStart(2, '0')}`;
  return decodeURIComponent(escaped);
}

/** The response datagram parsed with the engine's JSON.parse (`null` when there is none). */
export function responseJson(data: Uint8Array | null): unknown {
  return data === null ? null : JSON.parse(text(data));
}
