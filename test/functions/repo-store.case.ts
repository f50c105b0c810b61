// Shared suite of the RepoItemStore port (functions/ports.ts): the conditional writes the repository API rests on
// (create-only config id, usage within the quota, version-checked lock list, recount only when nothing raced it).
// Each case uses its own account, so one store serves the whole suite.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RepoItemStore, RepoLockEntry } from '../../functions/ports.js';

const T0 = 1_000_000;
const lock = (lockId: string, exclusive = false, description?: string): RepoLockEntry => ({
  lockId, exclusive, expiresAt: T0 + 60_000, ttlSeconds: 60, ...(description !== undefined ? { description } : {}),
});

export function repoItemStoreSuite(name: string, store: () => RepoItemStore): void {
  describe(`RepoItemStore: ${name}`, () => {
    const account = () => `acct-${randomUUID()}`;

    it('an account never seen has no item', async () => {
      expect(await store().get(account())).toBeUndefined();
    });

    it('the config id is create-only: the first one stays, the same one again is accepted', async () => {
      const s = store();
      const a = account();
      expect(await s.setRepositoryId(a, 'one', T0)).toBe('one');
      expect(await s.setRepositoryId(a, 'one', T0)).toBe('one');
      expect(await s.setRepositoryId(a, 'two', T0)).toBe('one');
      expect(await s.get(a)).toMatchObject({ repositoryId: 'one', usedBytes: 0, locks: [], version: 0 });
    });

    it.for([
      [0, 100, true], [100, 0, true], [60, 40, true], [60, 41, false], [0, 101, false],
    ] as const)('reserving %i then %i against a quota of 100: the second fits: %s', async ([first, second, fits]) => {
      const s = store();
      const a = account();
      expect(await s.reserve(a, first, 100, T0)).toBe(true);
      expect(await s.reserve(a, second, 100, T0)).toBe(fits);
      expect((await s.get(a))?.usedBytes).toBe(fits ? first + second : first);
    });

    it('release subtracts, never below 0', async () => {
      const s = store();
      const a = account();
      await s.reserve(a, 50, 100, T0);
      await s.release(a, 20, T0);
      expect((await s.get(a))?.usedBytes).toBe(30);
      await s.release(a, 40, T0);
      expect((await s.get(a))?.usedBytes).toBe(0);
    });

    it('the lock list is replaced only at the version it was read at', async () => {
      const s = store();
      const a = account();
      await s.reserve(a, 10, 100, T0); // an item without locks yet
      expect(await s.writeLocks(a, 0, [lock('l1', false, 'laptop')], T0)).toBe(true);
      expect(await s.writeLocks(a, 0, [lock('l2', true)], T0)).toBe(false);
      const item = await s.get(a);
      expect(item).toMatchObject({ version: 1, usedBytes: 10, locks: [lock('l1', false, 'laptop')] });
      expect(await s.writeLocks(a, 1, [lock('l1'), lock('l3')], T0)).toBe(true);
      expect(await s.writeLocks(a, 1, [], T0)).toBe(false);
      expect((await s.get(a))?.locks.map((l) => l.lockId).sort()).toEqual(['l1', 'l3']);
      expect(await s.writeLocks(a, 2, [], T0)).toBe(true);
      expect(await s.get(a)).toMatchObject({ version: 3, locks: [] });
    });

    it('a first lock write creates the item; a second writer at version 0 loses', async () => {
      const s = store();
      const a = account();
      const results = await Promise.all([s.writeLocks(a, 0, [lock('x', true)], T0), s.writeLocks(a, 0, [lock('y', true)], T0)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await s.get(a))?.locks).toHaveLength(1);
    });

    it('concurrent reservations never pass the quota together', async () => {
      const s = store();
      const a = account();
      const results = await Promise.all(Array.from({ length: 10 }, () => s.reserve(a, 30, 100, T0)));
      expect(results.filter(Boolean)).toHaveLength(3);
      expect((await s.get(a))?.usedBytes).toBe(90);
    });

    it('recount sets the usage only when it is still what was seen', async () => {
      const s = store();
      const a = account();
      expect(await s.recount(a, 0, 5, T0)).toBe(true); // no item yet
      expect((await s.get(a))?.usedBytes).toBe(5);
      await s.reserve(a, 10, 100, T0);
      expect(await s.recount(a, 5, 0, T0)).toBe(false);
      expect((await s.get(a))?.usedBytes).toBe(15);
      expect(await s.recount(a, 15, 7, T0)).toBe(true);
      expect((await s.get(a))?.usedBytes).toBe(7);
    });

    it('delete removes the item and is idempotent', async () => {
      const s = store();
      const a = account();
      await s.setRepositoryId(a, 'one', T0);
      await s.delete(a);
      await s.delete(a);
      expect(await s.get(a)).toBeUndefined();
      expect(await s.setRepositoryId(a, 'two', T0)).toBe('two');
    });
  });
}
