// One lock lease (protocol/repo-schemas.ts DEFAULT_LOCK_TTL_S): a `POST /v1/repo/locks` without `ttlSeconds` gets
// the same 120 s lease bkv's own client asks for, and a refresh extends it by that much.

import { describe, expect, it } from 'vitest';
import { MemoryRepoItemStore } from '../../functions/adapters/memory-repo-store.js';
import type { ApiEvent } from '../../functions/http/request.js';
import type { ObjectStore } from '../../functions/ports.js';
import { repoRoutes } from '../../functions/repo/routes.js';
import { RepoService } from '../../functions/repo/service.js';
import { DEFAULT_LOCK_TTL_S } from '../../protocol/repo-schemas.js';
import { SIGNATURE_HEADER } from '../../protocol/repo-signature.js';
import { RequestSigner } from '../../client/repo/storage/signing.js';

const T = Date.parse('2026-12-01T00:00:00.000Z');

/** The owner's signed request (docs/protocol.md "Signed requests"): locks need K's signature. */
function event(signer: RequestSigner, routeId: string, path: string, body?: unknown, lockId?: string): ApiEvent {
  const text = body === undefined ? undefined : JSON.stringify(body);
  const header = signer.header({ account: 'alice', repositoryId: '', routeId, method: 'POST', path, body: text });
  return {
    headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: header },
    body: text,
    isBase64Encoded: false,
    pathParameters: lockId === undefined ? undefined : { lockId },
    requestContext: { authorizer: { jwt: { claims: { sub: 'alice', exp: 9_999_999_999 }, scopes: [] } } },
  } as unknown as ApiEvent;
}

describe('lock lease default', () => {
  it('is 120 s', () => {
    expect(DEFAULT_LOCK_TTL_S).toBe(120);
  });

  it('a lock asked without ttlSeconds lives 120 s, and a refresh extends it by as much', async () => {
    let now = T;
    const service = new RepoService({
      items: new MemoryRepoItemStore(), clock: { now: () => now }, config: { quotaBytes: 1 << 30, urlTtlSeconds: 3600 },
      objects: { list: () => Promise.resolve({ objects: [], truncated: false }) } as unknown as ObjectStore,
    });
    const routes = repoRoutes(service);
    const signer = new RequestSigner(new Uint8Array(32).fill(7), () => now);
    const registered = await routes['repo.createConfig'](event(signer, 'repo.createConfig', '/v1/repo/config', { signingKey: signer.publicKey }));
    expect(registered.status).toBeLessThan(300);
    const taken = await routes['repo.lock'](event(signer, 'repo.lock', '/v1/repo/locks', { exclusive: false }));
    const lock = taken.body as { lockId: string; expiresAt: string };
    expect(taken.status).toBe(201);
    expect(lock.expiresAt).toBe(new Date(T + 120_000).toISOString());
    now = T + 10_000;
    const refreshed = await routes['repo.refresh'](event(signer, 'repo.refresh', `/v1/repo/locks/${lock.lockId}/refresh`, undefined, lock.lockId));
    expect((refreshed.body as { expiresAt: string }).expiresAt).toBe(new Date(now + 120_000).toISOString());
  });
});
