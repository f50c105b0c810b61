// The age v1 payload STREAM (c2sp.org/age §"Payload"): 64 KiB plaintext chunks, each sealed with
// ChaCha20-Poly1305 under the payload key, nonce = 11-byte big-endian chunk counter ‖ last-chunk flag (0x01 on
// the final chunk). Seals and opens batches of consecutive chunks in place with node:crypto. The same code runs
// on the main thread and in the worker threads (chunk-worker.ts; the blob workers through blobs/blob-ops), which load
// it as part of their script (client/worker-script.ts: its bundle in the CLI, under tsx from source).
//
// A batch is consecutive chunks from offset 0 (plaintext chunks to seal, sealed chunks to open). It is only
// read, so the caller can reuse it; the output is the list of buffers node:crypto returned (no copies), in
// stream order.

import { KeyObject, createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';

export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;

/** What openChunks gives back. */
export interface OpenedChunks {
  /** Plaintext of each chunk that authenticated, in order, up to the first failure. */
  outs: Buffer[];
  chunks: number;
  /** A short message when a chunk failed, else undefined. */
  error: string | undefined;
}

function nonceFor(nonce: Buffer, counter: number, last: boolean): Buffer {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('chunk counter out of range');
  nonce.writeUInt32BE(Math.floor(counter / 0x100000000), 3);
  nonce.writeUInt32BE(counter >>> 0, 7);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** The payload key as a KeyObject: 32 bytes, or a 32-byte secret KeyObject (made once by a stream). */
function checkKey(key: Uint8Array | KeyObject): KeyObject {
  if (key instanceof KeyObject && key.type === 'secret' && key.symmetricKeySize === 32) return key;
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new RangeError('payload key must be 32 bytes');
  return createSecretKey(key);
}

/**
 * Seals the `length` plaintext bytes at the start of `batch`, the first chunk numbered `counter`. Returns the output as [ciphertext 0, tag 0, ciphertext 1, tag 1, …]. A non-final batch
 * holds whole chunks only; a final batch ends with the final chunk (the remainder, or a full chunk, or one empty
 * chunk for an empty payload).
 */
export function sealChunks(key: Uint8Array | KeyObject, counter: number, batch: Uint8Array, length: number, final: boolean): Buffer[] {
  const k = checkKey(key);
  if (!(batch instanceof Uint8Array) || !Number.isSafeInteger(length) || length < 0) throw new RangeError('bad batch');
  if (!final && (length === 0 || length % CHUNK_SIZE !== 0)) throw new RangeError('non-final batch must hold whole chunks');
  const n = final ? Math.max(1, Math.ceil(length / CHUNK_SIZE)) : length / CHUNK_SIZE;
  if (batch.length < length) throw new RangeError('batch too small');
  const nonce = Buffer.alloc(12);
  const outs: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const at = i * CHUNK_SIZE;
    const len = Math.min(CHUNK_SIZE, length - at);
    const cipher = createCipheriv('chacha20-poly1305', k, nonceFor(nonce, counter + i, final && i === n - 1), { authTagLength: TAG_SIZE });
    outs.push(cipher.update(batch.subarray(at, at + len)));
    cipher.final();
    outs.push(cipher.getAuthTag());
  }
  return outs;
}

function tryOpen(key: KeyObject, nonce: Buffer, sealed: Uint8Array): Buffer | undefined {
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG_SIZE });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
  const pt = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
  try {
    decipher.final();
  } catch {
    return undefined; // the plaintext of a chunk that does not authenticate is dropped here, never released
  }
  return pt;
}

/**
 * Opens `length` bytes of sealed chunks at the start of `batch`, the first numbered `counter`. Returns the
 * plaintexts of the chunks that authenticated, in order and up to the first failure (`outs`), how many there
 * are, and `error` (a short message) if one failed. In a final batch the last chunk must carry the final flag;
 * a full chunk that only opens with the other flag is released (it did authenticate) and reported as a
 * truncated payload or as data after the final chunk.
 */
export function openChunks(key: Uint8Array | KeyObject, counter: number, batch: Uint8Array, length: number, final: boolean): OpenedChunks {
  const k = checkKey(key);
  if (!final && (length === 0 || length % SEALED_CHUNK_SIZE !== 0)) throw new RangeError('non-final batch must hold whole chunks');
  if (!(batch instanceof Uint8Array) || !Number.isSafeInteger(length) || length < 0 || length > batch.length) throw new RangeError('bad batch');
  const outs: Buffer[] = [];
  const done = (error: string | undefined): OpenedChunks => ({ outs, chunks: outs.length, error });
  if (length === 0) return done('missing final chunk');
  const n = Math.ceil(length / SEALED_CHUNK_SIZE);
  const nonce = Buffer.alloc(12);
  for (let i = 0; i < n; i++) {
    const at = i * SEALED_CHUNK_SIZE;
    const sealed = batch.subarray(at, Math.min(length, at + SEALED_CHUNK_SIZE));
    const last = final && i === n - 1;
    const index = counter + i;
    if (sealed.length < TAG_SIZE) return done('truncated payload chunk');
    let pt = tryOpen(k, nonceFor(nonce, index, last), sealed);
    if (pt === undefined) {
      if (sealed.length !== SEALED_CHUNK_SIZE) return done(`final payload chunk ${index} does not authenticate: truncated or damaged`);
      pt = tryOpen(k, nonceFor(nonce, index, !last), sealed);
      if (pt === undefined) return done(`payload chunk ${index} does not authenticate`);
      outs.push(pt);
      return done(last ? 'truncated payload: no final chunk' : 'data after final chunk');
    }
    if (last && pt.length === 0 && index > 0) return done('final chunk is empty');
    outs.push(pt);
  }
  return done(undefined);
}
