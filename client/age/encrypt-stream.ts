// Encrypting age v1 stream (c2sp.org/age): writes the header for the X25519 recipients and the 16-byte payload
// nonce, then the payload STREAM. Node Transform: plaintext in, age file out.

import { hkdfSync } from 'node:crypto';
import type { TransformCallback } from 'node:stream';
import { BatchTransform, type ParallelOptions } from './batch-transform.js';
import { encodeHeader } from './header.js';
import { defaultRandomBytes, type RandomBytes } from '../../protocol/random.js';
import { FILE_KEY_BYTES, parseRecipient, wrapFileKey } from './x25519.js';

export interface EncryptOptions extends ParallelOptions {
  /** X25519 recipients, as `age1…` strings or 32-byte public keys. */
  recipients: readonly (string | Uint8Array)[];
  /** Source of the file key, payload nonce and ephemeral secrets (tests inject one). */
  random?: RandomBytes;
}

export const NONCE_BYTES = 16;
const PAYLOAD_LABEL = Buffer.from('payload', 'utf8');

/** HKDF-SHA256(ikm = file key, salt = nonce, info = "payload"), the STREAM key. */
export function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  if (fileKey.length !== FILE_KEY_BYTES || nonce.length !== NONCE_BYTES) throw new RangeError('bad file key or nonce length');
  return new Uint8Array(hkdfSync('sha256', fileKey, nonce, PAYLOAD_LABEL, 32));
}

export class AgeEncryptStream extends BatchTransform {
  constructor(options: EncryptOptions) {
    super('seal', options);
    const random = options.random ?? defaultRandomBytes;
    if (options.recipients.length === 0) throw new RangeError('at least one recipient is required');
    const recipients = options.recipients.map((r) => (typeof r === 'string' ? parseRecipient(r) : r));
    const fileKey = random(FILE_KEY_BYTES);
    const nonce = random(NONCE_BYTES);
    if (fileKey.length !== FILE_KEY_BYTES || nonce.length !== NONCE_BYTES) throw new RangeError('random source returned the wrong length');
    const header = encodeHeader(recipients.map((r) => wrapFileKey(fileKey, r, random)), fileKey);
    this.push(Buffer.concat([header, nonce]));
    this.startPayload(payloadKey(fileKey, nonce));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.feed(chunk, cb);
  }

  override _flush(cb: TransformCallback): void {
    this.finish(cb);
  }
}

export function createEncryptStream(options: EncryptOptions): AgeEncryptStream {
  return new AgeEncryptStream(options);
}
