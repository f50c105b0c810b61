// The server's check of signed requests (functions/repo/signatures.ts) at its boundaries, on the memory item store
// with a fixed clock: the expiry window to the millisecond, the order of the checks (nothing is recorded for a
// request that fails any of them), and a registering request checked against the key it registers.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryRepoItemStore } from '../../functions/adapters/memory-repo-store.js';
import { verifySigned, type SignedRequest } from '../../functions/repo/signatures.js';
import { isBkvError } from '../../protocol/errors.js';
import { MAX_SIGNATURE_AHEAD_S, signatureHeader, signingPrivateKey, publicKeyOf } from '../../protocol/repo-signature.js';

const NOW = 1_800_000_000_000; // ms, a whole second
const clock = { now: () => NOW };
const REPO = 'a'.repeat(64);
const seed = randomBytes(32);
const priv = signingPrivateKey(seed);
const pub = publicKeyOf(priv);

function request(o: { expires?: number; nonce?: Buffer; account?: string; body?: string } = {}): SignedRequest {
  const body = Buffer.from(o.body ?? '{"objects":[]}');
  const f = {
    account: o.account ?? 'alice', repositoryId: REPO, routeId: 'repo.uploads', method: 'POST', path: '/v1/repo/uploads', body,
    nonce: o.nonce ?? randomBytes(16), expires: o.expires ?? NOW / 1000 + 60,
  };
  return { routeId: f.routeId, method: f.method, path: f.path, body, header: signatureHeader(priv, f) };
}

async function store(): Promise<MemoryRepoItemStore> {
  const s = new MemoryRepoItemStore();
  await s.setSigningKey('alice', pub, NOW);
  await s.setRepositoryId('alice', REPO, NOW);
  return s;
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isBkvError(e) ? e.code : String(e)));

describe('verifySigned', () => {
  it.for([
    ['expiring now', 0, 'signature-expired'],
    ['expiring 1 s from now', 1, 'ok'],
    [`expiring ${MAX_SIGNATURE_AHEAD_S} s from now (the end of the window)`, MAX_SIGNATURE_AHEAD_S, 'ok'],
    [`expiring ${MAX_SIGNATURE_AHEAD_S + 1} s from now`, MAX_SIGNATURE_AHEAD_S + 1, 'signature-expired'],
    ['expired 1 s ago', -1, 'signature-expired'],
  ] as const)('a signature %s: %s', async ([, ahead, code]) => {
    const s = await store();
    expect(await codeOf(verifySigned(s, clock, 'alice', request({ expires: NOW / 1000 + ahead })))).toBe(code);
  });

  it('a refused request records no nonce: the same nonce signed correctly is then accepted, once', async () => {
    const s = await store();
    const nonce = randomBytes(16);
    const altered = { ...request({ nonce }), body: Buffer.from('{"objects":[1]}') };
    expect(await codeOf(verifySigned(s, clock, 'alice', altered))).toBe('signature-invalid');
    expect(await codeOf(verifySigned(s, clock, 'bob', request({ nonce })))).toBe('signing-key-missing');
    const good = request({ nonce });
    expect(await codeOf(verifySigned(s, clock, 'alice', good))).toBe('ok');
    expect(await codeOf(verifySigned(s, clock, 'alice', good))).toBe('signature-replayed');
  });

  it('no header, a malformed one, another account: required, invalid, invalid', async () => {
    const s = await store();
    expect(await codeOf(verifySigned(s, clock, 'alice', { ...request(), header: undefined }))).toBe('signature-required');
    expect(await codeOf(verifySigned(s, clock, 'alice', { ...request(), header: 'v1.x' }))).toBe('signature-invalid');
    await s.setSigningKey('bob', pub, NOW);
    expect(await codeOf(verifySigned(s, clock, 'bob', request({ account: 'alice' })))).toBe('signature-invalid');
  });

  it('registering: checked against the key being registered; another key already recorded is a mismatch first', async () => {
    const s = new MemoryRepoItemStore();
    expect(await codeOf(verifySigned(s, clock, 'alice', request(), { signingKey: pub, repositoryId: REPO }))).toBe('ok');
    await s.setSigningKey('alice', publicKeyOf(signingPrivateKey(randomBytes(32))), NOW);
    expect(await codeOf(verifySigned(s, clock, 'alice', request(), { signingKey: pub, repositoryId: REPO }))).toBe('signing-key-mismatch');
  });
});
