// Signed repository requests (protocol/repo-signature.ts) against their known answers
// (test/vectors/repo-signature-v1.json), each step also recomputed with independent implementations (@noble/hashes
// HKDF and SHA-256, @noble/curves Ed25519), and the header parser and verifier at their boundaries.

import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  importPublicKey, parseSignatureHeader, publicKeyOf, signatureHeader, signedMessage, signingPrivateKey, signingSeed, verifySignature,
  SIGNED_REQUEST_LABEL, SIGNING_KEY_LABEL,
} from '../../protocol/repo-signature.js';
import { RequestSigner } from '../../client/repo/storage/signing.js';

interface VectorRequest {
  account: string; repositoryId: string; routeId: string; method: string; path: string; bodyUtf8: string; nonceHex: string; expires: number;
  messageHex: string; header: string;
}
const V = JSON.parse(readFileSync(new URL('../vectors/repo-signature-v1.json', import.meta.url), 'utf8')) as {
  backupKeyHex: string; seedHex: string; publicKey: string; requests: VectorRequest[];
};
const hex = (s: string) => Buffer.from(s, 'hex');
const fieldsOf = (r: VectorRequest) => ({
  account: r.account, repositoryId: r.repositoryId, routeId: r.routeId, method: r.method, path: r.path,
  body: Buffer.from(r.bodyUtf8, 'utf8'), nonce: hex(r.nonceHex), expires: r.expires,
});

/** The message built by hand from the spec's words, with @noble's SHA-256. */
function specMessage(r: VectorRequest): Buffer {
  const parts = [SIGNED_REQUEST_LABEL, r.account, r.repositoryId, r.routeId, r.method, r.path].map((s) => Buffer.from(s, 'utf8'));
  parts.push(Buffer.from(sha256(Buffer.from(r.bodyUtf8, 'utf8'))), hex(r.nonceHex), Buffer.from(String(r.expires), 'ascii'));
  return Buffer.concat(parts.flatMap((p) => {
    const n = Buffer.alloc(4);
    n.writeUInt32BE(p.length);
    return [n, p];
  }));
}

describe('signed requests: known answers', () => {
  it('the seed is HKDF-SHA256(K, empty salt, "bkv repo signing v1") and the public key its Ed25519 key', () => {
    const seed = signingSeed(hex(V.backupKeyHex));
    expect(Buffer.from(seed).toString('hex')).toBe(V.seedHex);
    expect(Buffer.from(hkdf(sha256, hex(V.backupKeyHex), new Uint8Array(0), Buffer.from(SIGNING_KEY_LABEL), 32)).toString('hex')).toBe(V.seedHex);
    expect(publicKeyOf(signingPrivateKey(seed))).toBe(V.publicKey);
    expect(Buffer.from(ed25519.getPublicKey(seed)).toString('base64url')).toBe(V.publicKey);
    expect(new RequestSigner(hex(V.backupKeyHex)).publicKey).toBe(V.publicKey);
  });

  it.for(V.requests.map((r) => [r.routeId, r] as const))('%s: the message and the header (Ed25519 is deterministic), checked by @noble too', ([, r]) => {
    const f = fieldsOf(r);
    expect(signedMessage(f).toString('hex')).toBe(r.messageHex);
    expect(specMessage(r).toString('hex')).toBe(r.messageHex);
    expect(signatureHeader(signingPrivateKey(hex(V.seedHex)), f)).toBe(r.header);
    const parsed = parseSignatureHeader(r.header)!;
    expect(Buffer.from(parsed.nonce).toString('hex')).toBe(r.nonceHex);
    expect(parsed.expires).toBe(r.expires);
    expect(ed25519.verify(parsed.signature, hex(r.messageHex), Buffer.from(V.publicKey, 'base64url'))).toBe(true);
    expect(verifySignature(importPublicKey(V.publicKey), f, parsed.signature)).toBe(true);
  });

  it.for([
    ['account', { account: 'bob@example.com' }], ['repositoryId', { repositoryId: '' }], ['routeId', { routeId: 'repo.undelete' }],
    ['method', { method: 'PUT' }], ['path', { path: '/v1/repo/delete/' }], ['body', { body: Buffer.from(' ') }],
    ['nonce', { nonce: Buffer.alloc(16) }], ['expires', { expires: 1796673601 }],
  ] as const)('a signature does not verify for another %s', ([, change]) => {
    const r = V.requests[0]!;
    const parsed = parseSignatureHeader(r.header)!;
    expect(verifySignature(importPublicKey(V.publicKey), { ...fieldsOf(r), ...change }, parsed.signature)).toBe(false);
  });

  it('fields cannot run into each other: moving a byte from the account to the repository id changes the message', () => {
    const r = fieldsOf(V.requests[0]!);
    expect(signedMessage({ ...r, account: 'ab', repositoryId: 'c' }).equals(signedMessage({ ...r, account: 'a', repositoryId: 'bc' }))).toBe(false);
  });

  it.for([
    ['no version', 'AAAAAAAAAAAAAAAAAAAAAA.1.' + 'A'.repeat(86)],
    ['a short nonce', `v1.${'A'.repeat(21)}.1.${'A'.repeat(86)}`],
    ['a short signature', `v1.${'A'.repeat(22)}.1.${'A'.repeat(85)}`],
    ['an expiry of 13 digits', `v1.${'A'.repeat(22)}.${'1'.repeat(13)}.${'A'.repeat(86)}`],
    ['a padded part', `v1.${'A'.repeat(20)}==.1.${'A'.repeat(86)}`],
    ['trailing text', `v1.${'A'.repeat(22)}.1.${'A'.repeat(86)} x`],
  ] as const)('a header with %s is not a signature', ([, value]) => {
    expect(parseSignatureHeader(value)).toBeUndefined();
  });
});
