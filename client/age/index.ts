// age v1 (c2sp.org/age) for bkv: X25519 recipients only, streaming on node:crypto, with worker threads for long
// streams. `createEncryptStream`/`createDecryptStream` are Node Transforms; `encrypt`/`decrypt` are the same
// for byte arrays held in memory.

import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AgeDecryptStream, createDecryptStream, type DecryptOptions } from './decrypt-stream.js';
import { type AgeEncryptStream, createEncryptStream, type EncryptOptions } from './encrypt-stream.js';

export { AgeError, isAgeError, type AgeErrorKind } from './errors.js';
// One way to make each stream: the factory; the classes are exported as types only.
export { type AgeDecryptStream, createDecryptStream, type DecryptOptions } from './decrypt-stream.js';
export { type AgeEncryptStream, createEncryptStream, type EncryptOptions } from './encrypt-stream.js';
export { type ParallelOptions } from './batch-transform.js';
export { MAX_HEADER_BYTES, MAX_STANZAS } from './header.js';
export { CHUNK_SIZE } from './stream-chunks.js';
export { encodeIdentity, encodeRecipient, parseIdentity, parseRecipient, x25519PublicKey } from './x25519.js';

async function collect(input: Uint8Array, transform: AgeEncryptStream | AgeDecryptStream): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      cb();
    },
  });
  await pipeline(Readable.from([input]), transform, sink);
  return new Uint8Array(Buffer.concat(parts));
}

/** Encrypts `plaintext` held in memory into a complete age file. */
export function encrypt(plaintext: Uint8Array, options: EncryptOptions): Promise<Uint8Array> {
  return collect(plaintext, createEncryptStream(options));
}

/** Decrypts a complete age file held in memory; rejects with an AgeError. */
export function decrypt(file: Uint8Array, options: DecryptOptions): Promise<Uint8Array> {
  return collect(file, createDecryptStream(options));
}
