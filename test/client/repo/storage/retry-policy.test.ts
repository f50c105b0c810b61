// The repository traffic's one retry policy (client/repo/storage/retry-policy.ts), through HttpRepoStore: an API
// problem is retried exactly when protocol/problems.ts's `retryable` column says so, a storage answer's raw status
// exactly when it is one of those problems' statuses or S3's transient 500/502/504, a failed sign-in renewal never
// when it is `sign-in` and, when `unreachable`, only for a retry-safe call. Routes are called by id: the paths
// the store sends are the table's (protocol/routes.ts).

import { describe, expect, it } from 'vitest';
import { ApiClient, type TokenProvider } from '../../../../client/http.js';
import { ClientError } from '../../../../client/errors.js';
import { HttpRepoStore } from '../../../../client/repo/storage/http-store.js';
import { isRetryableStorageStatus, STORAGE_RETRY_STATUSES } from '../../../../client/repo/storage/retry-policy.js';
import { PROBLEM_TYPE_PREFIX } from '../../../../protocol/errors.js';
import { PROBLEMS, type ProblemCode } from '../../../../protocol/problems.js';

const STATUS = { repositoryId: null, usedBytes: 0, quotaBytes: 1000 };
/** A bearer token naming an account (signed requests name it). */
const TOKEN = `e30.${Buffer.from(JSON.stringify({ sub: 'acct' })).toString('base64url')}.sig`;
const LOCK = { lockId: '0'.repeat(32), exclusive: false, expiresAt: new Date(Date.now() + 60_000).toISOString() };

/** A store over a fake API that answers `first` once, then `then`; records every request's method and path. */
function storeOver(first: () => Response, then: () => Response, token: string | TokenProvider = TOKEN) {
  const seen: string[] = [];
  const fetchImpl = (async (url: URL, init: RequestInit) => {
    seen.push(`${init.method} ${url.pathname}${url.search}`);
    return seen.length === 1 ? first() : then();
  }) as unknown as typeof fetch;
  const store = new HttpRepoStore(new ApiClient({ server: 'http://api.invalid', token, fetch: fetchImpl }), { attempts: 3, sleep: async () => {} });
  return { store, seen };
}

const problem = (code: ProblemCode) => () => new Response(JSON.stringify({ type: `${PROBLEM_TYPE_PREFIX}${code}`, title: PROBLEMS[code].title, status: PROBLEMS[code].status, detail: 'x' }), {
  status: PROBLEMS[code].status, headers: { 'content-type': 'application/problem+json' },
});
const json = (body: unknown) => () => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });

describe('API problems', () => {
  it.for(Object.keys(PROBLEMS) as ProblemCode[])('%s is retried exactly when the problem table says so', async (code) => {
    const { store, seen } = storeOver(problem(code), json(STATUS));
    const got = await store.status().then(() => 'ok', (e: unknown) => (e as { code?: string }).code);
    if (PROBLEMS[code].retryable) {
      expect(got).toBe('ok');
      expect(seen).toEqual(['GET /v1/repo', 'GET /v1/repo']);
    } else {
      expect(got).toBe(code);
      expect(seen).toEqual(['GET /v1/repo']);
    }
  });
});

describe('storage statuses', () => {
  it('are the retryable problems\' statuses and S3\'s transient 500, 502, 504', () => {
    const fromTable = new Set((Object.keys(PROBLEMS) as ProblemCode[]).filter((c) => PROBLEMS[c].retryable).map((c) => PROBLEMS[c].status));
    expect([...STORAGE_RETRY_STATUSES].sort()).toEqual([...new Set([...fromTable, 500, 502, 504])].sort());
  });

  it.for([[200, false], [400, false], [403, false], [404, false], [412, false], [429, true], [500, true], [501, false], [502, true], [503, true], [504, true], [507, true]] as const)(
    'a storage answer %i is retried: %s', ([status, retried]) => {
      expect(isRetryableStorageStatus(status)).toBe(retried);
    },
  );
});

describe('a failed sign-in renewal', () => {
  const refusing = (renewal: ClientError) => {
    let renewals = 0;
    const provider: TokenProvider = { token: async () => TOKEN, renew: async () => { renewals++; throw renewal; } };
    return { provider, renewals: () => renewals };
  };

  it('`sign-in` is never retried, even for a retry-safe call', async () => {
    const { provider, renewals } = refusing(new ClientError('sign-in', 'signed out'));
    const { store, seen } = storeOver(problem('invalid-token'), json(STATUS), provider);
    await expect(store.status()).rejects.toMatchObject({ kind: 'sign-in' });
    expect(seen).toEqual(['GET /v1/repo']);
    expect(renewals()).toBe(1);
  });

  it('`unreachable` is retried for a retry-safe call (a read)', async () => {
    let renewals = 0;
    const provider: TokenProvider = {
      token: async () => TOKEN,
      renew: async () => { if (renewals++ === 0) throw new ClientError('unreachable', 'cannot reach the identity provider'); return TOKEN; },
    };
    const { store, seen } = storeOver(problem('invalid-token'), json(STATUS), provider);
    await expect(store.status()).resolves.toMatchObject({ quotaBytes: 1000 });
    expect(seen).toEqual(['GET /v1/repo', 'GET /v1/repo']);
  });

  it('`unreachable` is not retried for a call that is not retry-safe (taking a lock)', async () => {
    const { provider, renewals } = refusing(new ClientError('unreachable', 'cannot reach the identity provider'));
    const { store, seen } = storeOver(problem('invalid-token'), json(LOCK), provider);
    store.signWith(new Uint8Array(32).fill(7));
    (store as unknown as { registeredKey: null }).registeredKey = null;
    await expect(store.lock({ exclusive: false })).rejects.toMatchObject({ kind: 'unreachable' });
    expect(seen).toEqual(['POST /v1/repo/locks']);
    expect(renewals()).toBe(1);
  });
});

describe('routes by id', () => {
  it('a lock refresh and an unlock go to the table\'s paths, the lock id percent-encoded', async () => {
    const { store, seen } = storeOver(json(LOCK), () => new Response(null, { status: 204 }));
    store.signWith(new Uint8Array(32).fill(7));
    (store as unknown as { registeredKey: null }).registeredKey = null;
    await store.refresh('a/b');
    await store.unlock('a/b');
    expect(seen).toEqual(['POST /v1/repo/locks/a%2Fb/refresh', 'DELETE /v1/repo/locks/a%2Fb']);
  });

  it('a listing goes to the table\'s path with its query', async () => {
    const { store, seen } = storeOver(json({ objects: [] }), json({ objects: [] }));
    const all = [];
    for await (const o of store.list('index')) all.push(o);
    expect(all).toEqual([]);
    expect(seen).toEqual(['GET /v1/repo/objects?type=index']);
  });
});
