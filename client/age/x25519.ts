// The age X25519 recipient type (c2sp.org/age §"The X25519 recipient type") on node:crypto: the stanza
// `-> X25519 <base64 ephemeral share>` whose body is the file key sealed with ChaCha20-Poly1305 under
// HKDF-SHA256(ikm = shared secret, salt = share ‖ recipient, info = "age-encryption.org/v1/X25519"), plus the
// bech32 encodings `age1…` (recipient) and `AGE-SECRET-KEY-1…` (identity).

import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, hkdfSync, type KeyObject } from 'node:crypto';
import { decodeBase64NoPad, encodeBase64NoPad } from './base64.js';
import { bech32Decode, bech32Encode } from './bech32.js';
import type { RandomBytes } from '../../protocol/random.js';
import { AgeError } from './errors.js';
import type { Stanza } from './header.js';

export const X25519_KEY_BYTES = 32;
export const FILE_KEY_BYTES = 16;
const WRAP_LABEL = Buffer.from('age-encryption.org/v1/X25519', 'utf8');
const WRAPPED_BYTES = FILE_KEY_BYTES + 16;
const ZERO_NONCE = Buffer.alloc(12);
// DER prefix of an X25519 PKCS#8 private key (RFC 8410), followed by the 32 raw bytes: the fallback import.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function checkLength(bytes: Uint8Array, n: number, what: string): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== n) throw new RangeError(`${what} must be ${n} bytes`);
}

function privateKeyObject(scalar: Uint8Array): KeyObject {
  checkLength(scalar, X25519_KEY_BYTES, 'x25519 secret key');
  const d = Buffer.from(scalar).toString('base64url');
  try {
    // JWK import is ~10x faster than PKCS#8 in Node 20. Node builds the key from `d` alone and requires `x` only
    // to be a string; the public key used anywhere is the one exported from this object (rawPublicKey).
    return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: '' }, format: 'jwk' });
  } catch {
    return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, scalar]), format: 'der', type: 'pkcs8' });
  }
}

function publicKeyObject(point: Uint8Array): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(point).toString('base64url') }, format: 'jwk' });
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const x = key.export({ format: 'jwk' }).x;
  const raw = typeof x === 'string' ? Buffer.from(x, 'base64url') : Buffer.alloc(0);
  if (raw.length !== X25519_KEY_BYTES) throw new Error('unexpected x25519 public key export');
  return new Uint8Array(raw);
}

/** The X25519 shared secret, or undefined when it is all zeros (a low-order or identity share). */
function sharedSecret(secret: KeyObject, point: Uint8Array): Uint8Array | undefined {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: secret, publicKey: publicKeyObject(point) });
  } catch {
    return undefined; // OpenSSL refuses an all-zero result
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  return acc === 0 || shared.length !== X25519_KEY_BYTES ? undefined : new Uint8Array(shared);
}

function wrapKey(shared: Uint8Array, share: Uint8Array, recipient: Uint8Array): Buffer {
  const salt = Buffer.concat([share, recipient]);
  return Buffer.from(hkdfSync('sha256', shared, salt, WRAP_LABEL, 32));
}

/** The public key (recipient) of an X25519 secret scalar. */
export function x25519PublicKey(scalar: Uint8Array): Uint8Array {
  return rawPublicKey(privateKeyObject(scalar));
}

export function encodeRecipient(publicKey: Uint8Array): string {
  checkLength(publicKey, X25519_KEY_BYTES, 'x25519 public key');
  return bech32Encode('age', publicKey);
}

export function encodeIdentity(scalar: Uint8Array): string {
  checkLength(scalar, X25519_KEY_BYTES, 'x25519 secret key');
  return bech32Encode('AGE-SECRET-KEY-', scalar, true);
}

/** Parses `age1…`; throws a RangeError naming the problem (never echoing the input). */
export function parseRecipient(text: string): Uint8Array {
  const d = bech32Decode(text);
  if (d === undefined || d.hrp !== 'age' || d.data.length !== X25519_KEY_BYTES || text !== text.toLowerCase()) {
    throw new RangeError('not an age x25519 recipient');
  }
  return d.data;
}

/** Parses `AGE-SECRET-KEY-1…` (uppercase, as age writes it); throws a RangeError that never echoes the input. */
export function parseIdentity(text: string): Uint8Array {
  const d = bech32Decode(text);
  if (d === undefined || d.hrp !== 'age-secret-key-' || d.data.length !== X25519_KEY_BYTES || text !== text.toUpperCase()) {
    throw new RangeError('not an age x25519 identity');
  }
  return d.data;
}

/** Wraps `fileKey` to the X25519 `recipient`, drawing the ephemeral secret from `random`. */
export function wrapFileKey(fileKey: Uint8Array, recipient: Uint8Array, random: RandomBytes): Stanza {
  checkLength(fileKey, FILE_KEY_BYTES, 'file key');
  checkLength(recipient, X25519_KEY_BYTES, 'x25519 public key');
  const ephemeral = random(X25519_KEY_BYTES);
  checkLength(ephemeral, X25519_KEY_BYTES, 'ephemeral secret');
  const secret = privateKeyObject(ephemeral);
  const share = rawPublicKey(secret);
  const shared = sharedSecret(secret, recipient);
  if (shared === undefined) throw new RangeError('x25519 recipient is a low-order point');
  const cipher = createCipheriv('chacha20-poly1305', wrapKey(shared, share, recipient), ZERO_NONCE, { authTagLength: 16 });
  const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
  return { args: ['X25519', encodeBase64NoPad(share)], body: new Uint8Array(body) };
}

/** An X25519 identity able to unwrap the stanzas addressed to it. */
export class X25519Identity {
  private readonly secret: KeyObject;
  private readonly recipient: Uint8Array;

  constructor(scalar: Uint8Array) {
    this.secret = privateKeyObject(scalar);
    this.recipient = rawPublicKey(this.secret);
  }

  /**
   * The file key from the first X25519 stanza addressed to this identity, or undefined when none is.
   * Throws AgeError('header') on a malformed X25519 stanza (argument count, share or body length, zero secret).
   */
  unwrap(stanzas: readonly Stanza[]): Uint8Array | undefined {
    for (const s of stanzas) {
      if (s.args[0] !== 'X25519') continue;
      if (s.args.length !== 2) throw new AgeError('header', 'malformed x25519 stanza');
      const share = decodeBase64NoPad(s.args[1]!);
      if (share === undefined || share.length !== X25519_KEY_BYTES) throw new AgeError('header', 'malformed x25519 share');
      if (s.body.length !== WRAPPED_BYTES) throw new AgeError('header', 'malformed x25519 stanza body');
      const shared = sharedSecret(this.secret, share);
      if (shared === undefined) throw new AgeError('header', 'x25519 shared secret is zero');
      const decipher = createDecipheriv('chacha20-poly1305', wrapKey(shared, share, this.recipient), ZERO_NONCE, { authTagLength: 16 });
      decipher.setAuthTag(s.body.subarray(FILE_KEY_BYTES));
      const fileKey = decipher.update(s.body.subarray(0, FILE_KEY_BYTES));
      try {
        decipher.final();
      } catch {
        continue; // addressed to another identity
      }
      return new Uint8Array(fileKey);
    }
    return undefined;
  }
}
