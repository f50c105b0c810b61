// The RepoStore contract (client/repo/storage/store.ts, the comment at its top), clause by clause, as one suite every
// adapter runs: store.memory.test.ts (MemoryRepoStore) and store.http.test.ts (HttpRepoStore against the local
// runtime). Each case gets a fresh repository; `advance` moves the clock the store's locks expire by.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BkvError } from '../../../../protocol/errors.js';
import { RepoObjectMissing, type ObjectName, type RepoStore } from '../../../../client/repo/storage/store.js';

/** The quota every adapter under test is set up with. */
export const SUITE_QUOTA = 1024 * 1024;

export interface StoreUnderTest {
  store: RepoStore;
  /** Moves the clock locks expire by. */
  advance(ms: number): void;
}

const id = () => randomBytes(32).toString('hex');
const bytes = (n: number) => new Uint8Array(randomBytes(n));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => undefined, (e: unknown) => e);
}

async function expectCode(p: Promise<unknown>, code: string): Promise<BkvError> {
  const e = await rejection(p);
  expect(e).toBeInstanceOf(BkvError);
  expect((e as BkvError).code).toBe(code);
  return e as BkvError;
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export function repoStoreSuite(name: string, make: () => Promise<StoreUnderTest>): void {
  describe(`RepoStore contract: ${name}`, () => {
    it('put stores the bytes; get returns them; a second put of the same bytes is a retry and does not fail', async () => {
      const { store } = await make();
      const n: ObjectName = { type: 'data', id: id() };
      const body = bytes(70_000);
      await store.put(n, body);
      expect(Buffer.from(await store.get(n)).equals(Buffer.from(body))).toBe(true);
      await store.put(n, body);
      expect(Buffer.from(await store.get(n)).equals(Buffer.from(body))).toBe(true);
    });

    it('objects are write-once: a put of other bytes under a stored name is a conflict and the first bytes stay', async () => {
      const { store } = await make();
      const n: ObjectName = { type: 'snapshots', id: id() };
      const body = bytes(300);
      await store.put(n, body);
      await expectCode(store.put(n, bytes(5)), 'conflict');
      await expectCode(store.put(n, bytes(300)), 'conflict');
      expect(Buffer.from(await store.get(n)).equals(Buffer.from(body))).toBe(true);
    });

    it('a put beyond the quota rejects with quota-exceeded and stores nothing', async () => {
      const { store } = await make();
      const n: ObjectName = { type: 'data', id: id() };
      const e = await expectCode(store.put(n, bytes(SUITE_QUOTA + 1)), 'quota-exceeded');
      expect(e.details).toMatchObject({ quotaBytes: SUITE_QUOTA });
      expect(await rejection(store.get(n))).toBeInstanceOf(RepoObjectMissing);
      expect(await all(store.list('data'))).toEqual([]);
    });

    it('get of a missing object rejects with RepoObjectMissing naming it', async () => {
      const { store } = await make();
      const n: ObjectName = { type: 'index', id: id() };
      const e = await rejection(store.get(n));
      expect(e).toBeInstanceOf(RepoObjectMissing);
      expect((e as RepoObjectMissing).object).toEqual(n);
      expect(await rejection(store.get(n, { offset: 0, length: 10 }))).toBeInstanceOf(RepoObjectMissing);
    });

    it.for([
      [0, 10], [5, 1], [100, 900], [990, 10], [995, 10], [1000, 10], [2000, 5], [0, 1000], [0, 5000], [7, 0],
    ] as const)('a ranged read at offset %i of length %i returns the bytes that exist there', async ([offset, length]) => {
      const { store } = await make();
      const n: ObjectName = { type: 'data', id: id() };
      const body = bytes(1000);
      await store.put(n, body);
      const got = await store.get(n, { offset, length });
      expect(Buffer.from(got).equals(Buffer.from(body.subarray(offset, offset + length)))).toBe(true);
    });

    it('list yields every stored object of the type once, in id order, with its size', async () => {
      const { store } = await make();
      const ids = Array.from({ length: 7 }, id);
      await Promise.all(ids.map((i, k) => store.put({ type: 'snapshots', id: i }, bytes(10 + k))));
      await store.put({ type: 'index', id: id() }, bytes(3));
      const listed = await all(store.list('snapshots'));
      const sorted = ids.map((i, k) => ({ type: 'snapshots', id: i, size: 10 + k })).sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(listed).toEqual(sorted);
      expect(await all(store.list('data'))).toEqual([]);
    });

    it('delete needs a live exclusive lock: without one (none, shared, expired, removed) it is lock-lost and deletes nothing', async () => {
      const { store, advance } = await make();
      const n: ObjectName = { type: 'data', id: id() };
      await store.put(n, bytes(10));
      await expectCode(store.delete([n], randomBytes(16).toString('hex')), 'lock-lost');
      const shared = await store.lock({ exclusive: false });
      await expectCode(store.delete([n], shared.lockId), 'lock-lost');
      await store.unlock(shared.lockId);
      const ex = await store.lock({ exclusive: true, ttlSeconds: 30 });
      advance(31_000);
      await expectCode(store.delete([n], ex.lockId), 'lock-lost');
      const ex2 = await store.lock({ exclusive: true });
      await store.unlock(ex2.lockId);
      await expectCode(store.delete([n], ex2.lockId), 'lock-lost');
      expect((await store.get(n)).length).toBe(10);
    });

    it('delete under an exclusive lock reports what it deleted and what was not there', async () => {
      const { store } = await make();
      const a: ObjectName = { type: 'data', id: id() };
      const b: ObjectName = { type: 'index', id: id() };
      const gone: ObjectName = { type: 'data', id: id() };
      await store.put(a, bytes(10));
      await store.put(b, bytes(20));
      const lock = await store.lock({ exclusive: true });
      const out = await store.delete([a, gone, b], lock.lockId);
      expect(out.deleted).toEqual(expect.arrayContaining([a, b]));
      expect(out.deleted).toHaveLength(2);
      expect(out.missing).toEqual([gone]);
      expect(await rejection(store.get(a))).toBeInstanceOf(RepoObjectMissing);
      expect(await all(store.list('data'))).toEqual([]);
    });

    it('createConfig stores the one config; the same id again is a retry; another id is repository-exists and changes nothing', async () => {
      const { store } = await make();
      expect((await store.status()).repositoryId).toBeNull();
      const repo = id();
      const body = bytes(300);
      await store.createConfig(repo, body);
      await store.createConfig(repo, body);
      expect((await store.status()).repositoryId).toBe(repo);
      expect(Buffer.from(await store.get({ type: 'config', id: repo })).equals(Buffer.from(body))).toBe(true);
      const other = id();
      const e = await expectCode(store.createConfig(other, bytes(300)), 'repository-exists');
      expect(e.details).toEqual({ repositoryId: repo });
      expect((await store.status()).repositoryId).toBe(repo);
      expect(await all(store.list('config'))).toEqual([{ type: 'config', id: repo, size: 300 }]);
    });

    it('status reports the quota and the bytes used', async () => {
      const { store } = await make();
      await store.put({ type: 'data', id: id() }, bytes(1234));
      expect(await store.status()).toMatchObject({ usedBytes: 1234, quotaBytes: SUITE_QUOTA });
    });

    it('locks: many shared holders at once; an exclusive one is refused while they live, with who holds it and until when', async () => {
      const { store } = await make();
      const a = await store.lock({ exclusive: false, description: 'backup on laptop' });
      const b = await store.lock({ exclusive: false });
      expect(a.exclusive).toBe(false);
      expect(a.lockId).not.toBe(b.lockId);
      const e = await expectCode(store.lock({ exclusive: true }), 'repository-locked');
      expect(e.details).toMatchObject({ exclusive: false });
      expect(typeof e.details.expiresAt).toBe('string');
      await store.unlock(a.lockId);
      await store.unlock(b.lockId);
      const ex = await store.lock({ exclusive: true, description: 'prune' });
      expect(ex.exclusive).toBe(true);
      const refused = await expectCode(store.lock({ exclusive: false }), 'repository-locked');
      expect(refused.details).toEqual({ exclusive: true, expiresAt: new Date(ex.expiresAt).toISOString(), description: 'prune' });
      await expectCode(store.lock({ exclusive: true }), 'repository-locked');
    });

    it('a lock lives ttlSeconds unless refreshed; an expired lock does not count and cannot be refreshed', async () => {
      const { store, advance } = await make();
      const ex = await store.lock({ exclusive: true, ttlSeconds: 60 });
      advance(50_000);
      const refreshed = await store.refresh(ex.lockId);
      expect(refreshed.lockId).toBe(ex.lockId);
      expect(refreshed.expiresAt).toBeGreaterThan(ex.expiresAt);
      advance(50_000);
      await expectCode(store.lock({ exclusive: false }), 'repository-locked'); // still alive thanks to the refresh
      advance(11_000);
      const shared = await store.lock({ exclusive: false }); // the exclusive one expired: it does not count
      await expectCode(store.refresh(ex.lockId), 'lock-lost');
      await store.unlock(shared.lockId);
      await expectCode(store.refresh(shared.lockId), 'lock-lost');
    });

    it('unlock of an unknown lock is not an error', async () => {
      const { store } = await make();
      await store.unlock(randomBytes(16).toString('hex'));
    });

    it('every method rejects with the signal\'s reason when it is aborted', async () => {
      const { store } = await make();
      const reason = new Error('stop');
      const signal = AbortSignal.abort(reason);
      const n: ObjectName = { type: 'data', id: id() };
      for (const p of [
        store.status({ signal }), store.createConfig(id(), bytes(5), { signal }), store.put(n, bytes(5), { signal }),
        store.get(n, undefined, { signal }), all(store.list('data', { signal })), store.delete([n], 'x'.repeat(32), { signal }),
        store.lock({ exclusive: false }, { signal }), store.refresh('0'.repeat(32), { signal }), store.unlock('0'.repeat(32), { signal }),
      ]) {
        expect(await rejection(p)).toBe(reason);
      }
      expect(await all(store.list('data'))).toEqual([]);
    });
  });
}
