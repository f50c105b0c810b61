// Decrypting age v1 stream (c2sp.org/age): reads and checks the header (strict, bounded), unwraps the file key
// with the X25519 identities, verifies the header MAC, reads the payload nonce, then opens the STREAM. Node
// Transform: age file in, plaintext out; only authenticated chunks are released, and any damage, truncation or
// trailing data destroys the stream with an AgeError (see errors.ts for the kinds).

import type { TransformCallback } from 'node:stream';
import { BatchTransform, type ParallelOptions } from './batch-transform.js';
import { NONCE_BYTES, payloadKey } from './encrypt-stream.js';
import { AgeError } from './errors.js';
import { HeaderReader, parseHeader, verifyHeaderMac } from './header.js';
import { X25519Identity, parseIdentity } from './x25519.js';

export interface DecryptOptions extends ParallelOptions {
  /** X25519 identities, as `AGE-SECRET-KEY-1…` strings or 32-byte secret scalars. */
  identities: readonly (string | Uint8Array)[];
}

/** Parses `headerBytes` and returns the file key: throws AgeError 'header', 'no-match' or 'hmac'. */
export function unwrapHeader(headerBytes: Uint8Array, identities: readonly X25519Identity[]): Uint8Array {
  const header = parseHeader(headerBytes);
  let fileKey: Uint8Array | undefined;
  for (const id of identities) {
    fileKey = id.unwrap(header.stanzas);
    if (fileKey !== undefined) break;
  }
  if (fileKey === undefined) throw new AgeError('no-match', 'wrong key: no recipient in the file matches');
  verifyHeaderMac(header, fileKey);
  return fileKey;
}

export class AgeDecryptStream extends BatchTransform {
  private readonly identities: X25519Identity[];
  private reader: HeaderReader | undefined = new HeaderReader();
  private fileKey: Uint8Array | undefined;
  private nonce = Buffer.alloc(0);
  private inPayload = false;

  constructor(options: DecryptOptions) {
    super('open', options);
    if (options.identities.length === 0) throw new RangeError('at least one identity is required');
    this.identities = options.identities.map((i) => new X25519Identity(typeof i === 'string' ? parseIdentity(i) : i));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    let data: Uint8Array = chunk;
    try {
      if (this.reader !== undefined) {
        const done = this.reader.push(data);
        if (done === undefined) return cb();
        this.reader = undefined;
        this.fileKey = unwrapHeader(done.header, this.identities);
        data = done.rest;
      }
      if (!this.inPayload) {
        const need = NONCE_BYTES - this.nonce.length;
        this.nonce = Buffer.concat([this.nonce, data.subarray(0, need)]);
        data = data.subarray(need);
        if (this.nonce.length < NONCE_BYTES) return cb();
        this.startPayload(payloadKey(this.fileKey!, this.nonce));
        this.inPayload = true;
      }
    } catch (e) {
      return cb(e as Error);
    }
    this.feed(data, cb);
  }

  override _flush(cb: TransformCallback): void {
    if (this.reader !== undefined) return cb(new AgeError('header', this.reader.buffered === 0 ? 'empty input' : 'truncated header'));
    if (!this.inPayload) return cb(new AgeError('header', 'missing payload nonce'));
    this.finish(cb);
  }
}

export function createDecryptStream(options: DecryptOptions): AgeDecryptStream {
  return new AgeDecryptStream(options);
}
