// The age v1 payload STREAM (c2sp.org/age §"Payload"): 64 KiB plaintext chunks, each sealed with
// ChaCha20-Poly1305 under the payload key, nonce = 11-byte big-endian chunk counter ‖ last-chunk flag (0x01 on
// the final chunk). Seals and opens batches of consecutive chunks with node:crypto; the same code runs on the
// main thread and in chunk-worker.js, which is why this file is plain JavaScript (a worker thread loads it
// without a TypeScript loader). Types: stream-chunks.d.ts.

import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;

function nonceFor(nonce, counter, last) {
  if (!Number.isSafeInteger(counter) || counter < 0 || counter > MAX_COUNTER) throw new RangeError('chunk counter out of range');
  nonce.writeUInt32BE(Math.floor(counter / 0x100000000), 3);
  nonce.writeUInt32BE(counter >>> 0, 7);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

function checkKey(key) {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new RangeError('payload key must be 32 bytes');
  return createSecretKey(key);
}

/**
 * Seals the chunks of `plaintext`, the first numbered `counter`. A non-final batch holds whole chunks only; a
 * final batch ends with the final chunk (the remainder, or a full chunk, or one empty chunk for an empty payload).
 */
export function sealChunks(key, counter, plaintext, final) {
  const k = checkKey(key);
  const len = plaintext.length;
  if (!final && (len === 0 || len % CHUNK_SIZE !== 0)) throw new RangeError('non-final batch must hold whole chunks');
  const n = final ? Math.max(1, Math.ceil(len / CHUNK_SIZE)) : len / CHUNK_SIZE;
  const out = Buffer.allocUnsafeSlow(len + n * TAG_SIZE);
  const nonce = Buffer.alloc(12);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const cipher = createCipheriv('chacha20-poly1305', k, nonceFor(nonce, counter + i, final && i === n - 1), { authTagLength: TAG_SIZE });
    const ct = cipher.update(plaintext.subarray(i * CHUNK_SIZE, Math.min(len, (i + 1) * CHUNK_SIZE)));
    cipher.final();
    out.set(ct, o);
    o += ct.length;
    out.set(cipher.getAuthTag(), o);
    o += TAG_SIZE;
  }
  return out;
}

function tryOpen(key, nonce, sealed) {
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const pt = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return pt;
}

/**
 * Opens the chunks of `ciphertext`, the first numbered `counter`. Returns the plaintext of the chunks that
 * authenticated, in order, up to the first failure, and `error` (a short message) if one failed. In a final
 * batch the last chunk must carry the final flag; a full chunk that only opens with the other flag is reported
 * (after its plaintext: it did authenticate) as a truncated payload or as data after the final chunk.
 */
export function openChunks(key, counter, ciphertext, final) {
  const k = checkKey(key);
  const len = ciphertext.length;
  if (!final && (len === 0 || len % SEALED_CHUNK_SIZE !== 0)) throw new RangeError('non-final batch must hold whole chunks');
  if (len === 0) return { plaintext: Buffer.alloc(0), chunks: 0, error: 'missing final chunk' };
  const n = Math.ceil(len / SEALED_CHUNK_SIZE);
  const out = Buffer.allocUnsafeSlow(Math.max(0, len - n * TAG_SIZE));
  const nonce = Buffer.alloc(12);
  let o = 0;
  const done = (chunks, error) => ({ plaintext: out.subarray(0, o), chunks, error });
  for (let i = 0; i < n; i++) {
    const sealed = ciphertext.subarray(i * SEALED_CHUNK_SIZE, Math.min(len, (i + 1) * SEALED_CHUNK_SIZE));
    const last = final && i === n - 1;
    const index = counter + i;
    if (sealed.length < TAG_SIZE) return done(i, 'truncated payload chunk');
    let pt = tryOpen(k, nonceFor(nonce, index, last), sealed);
    if (pt === undefined) {
      if (sealed.length !== SEALED_CHUNK_SIZE) return done(i, `payload chunk ${index} does not authenticate`);
      pt = tryOpen(k, nonceFor(nonce, index, !last), sealed);
      if (pt === undefined) return done(i, `payload chunk ${index} does not authenticate`);
      out.set(pt, o);
      o += pt.length;
      return done(i + 1, last ? 'truncated payload: no final chunk' : 'data after final chunk');
    }
    if (last && pt.length === 0 && index > 0) return done(i, 'final chunk is empty');
    out.set(pt, o);
    o += pt.length;
  }
  return done(n, undefined);
}
