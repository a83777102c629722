/**
 * Memory for reply datagrams. A `new Uint8Array(n)` gets its own backing
 * store, which costs far more than the few bytes of a typical reply (an
 * allocation outside the JS heap, tracked and freed by the GC). Small
 * replies are instead carved out of shared 16 KiB slabs, as Node.js does for
 * small Buffers: every reply gets its own bytes (never reused while
 * referenced), its `byteOffset` is not 0, and its `buffer` is the slab (do
 * not transfer it). A slab lives until the last reply carved out of it is gone.
 */

import { encodeUtf8, encodeUtf8Into } from '../legacy/text.js';

const SLAB_SIZE = 16 * 1024;
/** Largest reply taken from a slab; larger ones get their own array. */
const MAX_POOLED = 2048;

let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

/** Room for `length` bytes in the current slab (a new slab when it is full); the start offset. */
function reserve(length: number): number {
  if (used + length > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  return used;
}

/** `length` zeroed bytes, all the caller's. */
export function allocateReply(length: number): Uint8Array {
  if (length > MAX_POOLED) return new Uint8Array(length);
  const start = reserve(length);
  used = start + ((length + 7) & ~7);
  return slab.subarray(start, start + length);
}

/** The UTF-8 bytes of `text` (lone surrogates become U+FFFD), pooled when small. */
export function encodeReplyText(text: string): Uint8Array {
  const worst = text.length * 3;
  if (worst > MAX_POOLED) return encodeUtf8(text);
  const start = reserve(worst);
  const written = encodeUtf8Into(text, slab.subarray(start, start + worst));
  used = start + ((written + 7) & ~7);
  return slab.subarray(start, start + written);
}
