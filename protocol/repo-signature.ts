// Signed repository requests (docs/protocol.md "Signed requests"): every mutating repository request carries an
// Ed25519 signature (RFC 8032, node:crypto) by a key derived from the backup key K, so a bearer token alone changes
// nothing. This file is the wire format shared by the client and the server: the key derivation (HKDF-SHA256 of K,
// RFC 5869), the canonical message (length-prefixed fields, so no field can run into the next) and the
// `Bkv-Signature` header. Known-answer vectors: test/vectors/repo-signature-v1.json.

import { createHash, createPrivateKey, createPublicKey, hkdfSync, sign, verify, type KeyObject } from 'node:crypto';

export const SIGNATURE_HEADER = 'bkv-signature';
/** HKDF info of the signing key's seed (salt empty, 32 bytes). */
export const SIGNING_KEY_LABEL = 'bkv repo signing v1';
/** First field of every signed message. */
export const SIGNED_REQUEST_LABEL = 'bkv repo request v1';
/** A signature is accepted until its expiry, which may lie at most this far ahead of the server's clock. */
export const MAX_SIGNATURE_AHEAD_S = 360;
/** What a client asks for: well inside the server's window, with room for a client clock a minute or two off. */
export const CLIENT_SIGNATURE_LIFE_S = 240;
export const NONCE_BYTES = 16;
/**
 * The server keeps nonces in periods of MAX_SIGNATURE_AHEAD_S by their expiry (three rotating sets in the account's
 * repo item, functions/adapters/dynamo-repo-store.ts) and refuses a period's nonce past this many (429): ~90 KiB.
 */
export const MAX_NONCES_PER_PERIOD = 4096;
export const NONCE_PERIOD_MS = MAX_SIGNATURE_AHEAD_S * 1000;
const SIGNATURE_BYTES = 64;
/** base64url of 32 bytes (an Ed25519 public key). */
export const SIGNING_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const HEADER_PATTERN = /^v1\.([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{86})$/;
/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410), so node:crypto can load it. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export interface SignedFields {
  /** The token subject. */
  account: string;
  /** The repository's config id, or '' when the account records none. */
  repositoryId: string;
  /** The route id of functions/routes.ts, e.g. 'repo.uploads'. */
  routeId: string;
  method: string;
  /** The request path with its parameters filled in, no query: '/v1/repo/locks/<lockId>/refresh'. */
  path: string;
  /** The exact body bytes (empty for none). */
  body: Uint8Array;
  nonce: Uint8Array;
  /** Unix seconds. */
  expires: number;
}

/** The Ed25519 seed of K's signing key: HKDF-SHA256(ikm = K, salt = empty, info = SIGNING_KEY_LABEL, 32). */
export function signingSeed(backupKey: Uint8Array): Uint8Array {
  if (backupKey.length !== 32) throw new RangeError('backup key must be 32 bytes');
  return new Uint8Array(hkdfSync('sha256', backupKey, new Uint8Array(0), Buffer.from(SIGNING_KEY_LABEL, 'utf8'), 32));
}

export function signingPrivateKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The public key as base64url of its 32 bytes (what the repository records). */
export function publicKeyOf(privateKey: KeyObject): string {
  const x = createPublicKey(privateKey).export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('no ed25519 public key');
  return x;
}

export function importPublicKey(base64url: string): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: base64url }, format: 'jwk' });
}

function field(bytes: Uint8Array): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
}

const text = (s: string) => Buffer.from(s, 'utf8');

/**
 * The bytes signed: each field as a 4-byte big-endian length and its bytes, in this order: the label, account,
 * repository id, route id, method, path (UTF-8), SHA-256 of the body (32 bytes), nonce (16 bytes), expiry (decimal
 * ASCII unix seconds).
 */
export function signedMessage(f: SignedFields): Buffer {
  const bodyHash = createHash('sha256').update(f.body).digest();
  return Buffer.concat([
    text(SIGNED_REQUEST_LABEL), text(f.account), text(f.repositoryId), text(f.routeId), text(f.method), text(f.path),
    bodyHash, f.nonce, text(String(f.expires)),
  ].flatMap(field));
}

/** The header value: `v1.<base64url nonce>.<expiry unix s>.<base64url signature>`. */
export function signatureHeader(privateKey: KeyObject, f: SignedFields): string {
  const signature = sign(null, signedMessage(f), privateKey);
  return `v1.${Buffer.from(f.nonce).toString('base64url')}.${f.expires}.${signature.toString('base64url')}`;
}

export interface ParsedSignature {
  nonce: Uint8Array;
  expires: number;
  signature: Uint8Array;
}

/** The header's parts, or undefined when it is not a v1 signature header. */
export function parseSignatureHeader(value: string): ParsedSignature | undefined {
  const m = HEADER_PATTERN.exec(value);
  if (!m) return undefined;
  const nonce = Buffer.from(m[1]!, 'base64url');
  const signature = Buffer.from(m[3]!, 'base64url');
  if (nonce.length !== NONCE_BYTES || signature.length !== SIGNATURE_BYTES) return undefined;
  return { nonce, expires: Number(m[2]), signature };
}

export function verifySignature(publicKey: KeyObject, f: SignedFields, signature: Uint8Array): boolean {
  try {
    return verify(null, signedMessage(f), publicKey, signature);
  } catch {
    return false;
  }
}
