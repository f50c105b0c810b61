// Internal API for the snapshot engine (client/repo/): an age v1 file (c2sp.org/age) taken apart, so a pack can
// be sealed on a worker thread and read by ranges. `beginFile` makes the header and payload nonce for one
// X25519 recipient and returns them with the STREAM payload key (the payload itself is sealed with
// stream-chunks.ts's sealChunks); `openHeader` reads the header at the start of some bytes with an identity,
// verifies its MAC and returns the payload key and where the payload starts. Every 64 KiB plaintext chunk `c` of
// the payload is then at `payloadStart + c · SEALED_CHUNK_SIZE` and opens with openChunks(key, c, …).

import { defaultRandomBytes, type RandomBytes } from '../../protocol/random.js';
import { NONCE_BYTES, payloadKey } from './encrypt-stream.js';
import { unwrapHeader } from './decrypt-stream.js';
import { HeaderReader, encodeHeader } from './header.js';
import { FILE_KEY_BYTES, X25519Identity, wrapFileKey } from './x25519.js';

export { CHUNK_SIZE, SEALED_CHUNK_SIZE, TAG_SIZE } from './stream-chunks.js';

export interface FileStart {
  /** The header's bytes (what the repository index hashes). */
  header: Uint8Array;
  /** header ‖ payload nonce: the file's first bytes. */
  prefix: Uint8Array;
  payloadKey: Uint8Array;
}

/** A fresh file key and nonce for a file to the X25519 public key `recipient`. */
export function beginFile(recipient: Uint8Array, random: RandomBytes = defaultRandomBytes): FileStart {
  const fileKey = random(FILE_KEY_BYTES);
  const nonce = random(NONCE_BYTES);
  if (fileKey.length !== FILE_KEY_BYTES || nonce.length !== NONCE_BYTES) throw new RangeError('random source returned the wrong length');
  const header = encodeHeader([wrapFileKey(fileKey, recipient, random)], fileKey);
  const prefix = new Uint8Array(header.length + NONCE_BYTES);
  prefix.set(header, 0);
  prefix.set(nonce, header.length);
  return { header, prefix, payloadKey: payloadKey(fileKey, nonce) };
}

export interface OpenedHeader {
  header: Uint8Array;
  payloadKey: Uint8Array;
  /** Offset of the first sealed chunk in the file. */
  payloadStart: number;
}

/**
 * Opens the header at the start of `bytes` (which must reach past the header and nonce) with the X25519 secret
 * `scalar`. Throws AgeError (errors.ts: 'header', 'no-match', 'hmac'); returns undefined when `bytes` ends too early.
 */
export function openHeader(bytes: Uint8Array, scalar: Uint8Array): OpenedHeader | undefined {
  const done = new HeaderReader().push(bytes);
  if (done === undefined) return undefined;
  if (done.rest.length < NONCE_BYTES) return undefined;
  const fileKey = unwrapHeader(done.header, [new X25519Identity(scalar)]);
  const nonce = done.rest.subarray(0, NONCE_BYTES);
  return { header: done.header, payloadKey: payloadKey(fileKey, nonce), payloadStart: done.header.length + NONCE_BYTES };
}
