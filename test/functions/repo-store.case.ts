// Shared suite of the RepoItemStore port (functions/ports.ts): the conditional writes the repository API rests on
// (create-only config id, usage within the quota and its reservation slots, the delete lease that fences a release,
// version-checked lock list, recount only when nothing raced it, delete keeping what reservations still count).
// Each case uses its own account, so one store serves the whole suite.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RepoItemStore, RepoLockEntry } from '../../functions/ports.js';
import { NONCE_PERIOD_MS } from '../../protocol/repo-signature.js';

const T0 = 1_000_000;
/** A reservation at T0 into slot 0, counting until T0 + 10 s. */
const at = (bytes: number, quotaBytes = 100, o: { slot?: 0 | 1; countsUntil?: number; now?: number } = {}) => ({
  bytes, quotaBytes, slot: o.slot ?? 0, countsUntil: o.countsUntil ?? T0 + 10_000, now: o.now ?? T0,
});
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

    it('the signing key is create-only: the first one stays, the same one again is accepted, delete forgets it', async () => {
      const s = store();
      const a = account();
      expect(await s.setSigningKey(a, 'key-one', T0)).toBe('key-one');
      expect(await s.setSigningKey(a, 'key-one', T0)).toBe('key-one');
      expect(await s.setSigningKey(a, 'key-two', T0)).toBe('key-one');
      expect((await s.get(a))?.signingKey).toBe('key-one');
      expect(await s.delete(a, (await s.get(a))!.quotaVersion, 0, T0)).toBe(true);
      expect((await s.get(a))?.signingKey).toBeUndefined();
    });

    it('a nonce is recorded once: the same nonce again is a replay until it expires, others are recorded', async () => {
      const s = store();
      const a = account();
      const exp = T0 + 300_000;
      expect(await s.useNonce(a, 'nonce-a', exp, T0)).toBe('recorded');
      expect(await s.useNonce(a, 'nonce-a', exp, T0 + 1)).toBe('replayed');
      expect(await s.useNonce(a, 'nonce-a', exp + 1, T0 + 2)).toBe('replayed');
      expect(await s.useNonce(a, 'nonce-b', exp, T0 + 3)).toBe('recorded');
      expect(await s.useNonce(account(), 'nonce-a', exp, T0 + 4)).toBe('recorded');
      // periods later (every nonce above has expired) the sets are reused without growing
      const later = T0 + 10 * NONCE_PERIOD_MS;
      for (let i = 0; i < 4; i++) expect(await s.useNonce(a, `late-${i}`, later + i * NONCE_PERIOD_MS, later + i * NONCE_PERIOD_MS - 1000)).toBe('recorded');
      expect(await s.useNonce(a, 'late-3', later + 3 * NONCE_PERIOD_MS, later + 3 * NONCE_PERIOD_MS - 999)).toBe('replayed');
      expect(await s.get(a)).toMatchObject({ usedBytes: 0, locks: [], version: 0 });
    });

    it.for([
      [0, 100, true], [100, 0, true], [60, 40, true], [60, 41, false], [0, 101, false],
    ] as const)('reserving %i then %i against a quota of 100: the second fits: %s', async ([first, second, fits]) => {
      const s = store();
      const a = account();
      expect(await s.reserve(a, at(first))).toBe(true);
      expect(await s.reserve(a, at(second))).toBe(fits);
      expect(await s.get(a)).toMatchObject({
        usedBytes: fits ? first + second : first, quotaVersion: fits ? 2 : 1,
        reservations: [{ slot: 0, bytes: fits ? first + second : first, countsUntil: T0 + 10_000 }],
      });
    });

    it.for([
      ['still counts long enough: kept, added to', T0 + 20_000, T0 + 10_000, { bytes: 30, countsUntil: T0 + 20_000 }],
      ['still counts, not long enough: added to, extended', T0 + 5_000, T0 + 10_000, { bytes: 30, countsUntil: T0 + 10_000 }],
      ['counts until exactly now: no longer counts, starts again', T0 + 1_000, T0 + 10_000, { bytes: 20, countsUntil: T0 + 10_000 }],
      ['counts until 1 ms after now: added to, extended', T0 + 1_001, T0 + 10_000, { bytes: 30, countsUntil: T0 + 10_000 }],
    ] as const)('a slot that %s', async ([, firstUntil, secondUntil, slot]) => {
      const s = store();
      const a = account();
      expect(await s.reserve(a, at(10, 100, { countsUntil: firstUntil }))).toBe(true);
      expect(await s.reserve(a, at(20, 100, { countsUntil: secondUntil, now: T0 + 1_000 }))).toBe(true);
      expect(await s.get(a)).toMatchObject({ usedBytes: 30, reservations: [{ slot: 0, ...slot }] });
    });

    it('the two slots are separate; the usage is their sum', async () => {
      const s = store();
      const a = account();
      await s.reserve(a, at(10, 100, { slot: 1, countsUntil: T0 + 5_000 }));
      await s.reserve(a, at(20, 100, { slot: 0 }));
      const item = await s.get(a);
      expect(item?.usedBytes).toBe(30);
      expect([...(item?.reservations ?? [])].sort((x, y) => x.slot - y.slot)).toEqual([
        { slot: 0, bytes: 20, countsUntil: T0 + 10_000 }, { slot: 1, bytes: 10, countsUntil: T0 + 5_000 },
      ]);
    });

    it('the delete lease: one at a time until it expires; release needs it, subtracts once (never below 0) and ends it', async () => {
      const s = store();
      const a = account();
      await s.reserve(a, at(50));
      expect(await s.claimDeletes(a, { leaseId: 'one', expiresAt: T0 + 100 }, T0)).toBe(true);
      expect(await s.claimDeletes(a, { leaseId: 'two', expiresAt: T0 + 200 }, T0 + 99)).toBe(false);
      expect(await s.release(a, 'two', 20, T0)).toBe(false);
      expect(await s.get(a)).toMatchObject({ usedBytes: 50, quotaVersion: 1, deleteLease: { leaseId: 'one', expiresAt: T0 + 100 } });
      expect(await s.release(a, 'one', 20, T0)).toBe(true);
      expect(await s.release(a, 'one', 20, T0)).toBe(false);
      expect(await s.get(a)).toMatchObject({ usedBytes: 30, quotaVersion: 2 });
      expect((await s.get(a))?.deleteLease).toBeUndefined();
      expect(await s.claimDeletes(a, { leaseId: 'three', expiresAt: T0 + 100 }, T0)).toBe(true);
      expect(await s.release(a, 'three', 40, T0)).toBe(true);
      expect((await s.get(a))?.usedBytes).toBe(0);
    });

    it('an expired lease can be taken over at exactly its expiry; the old holder\'s release is then refused', async () => {
      const s = store();
      const a = account();
      await s.reserve(a, at(50));
      await s.claimDeletes(a, { leaseId: 'slow', expiresAt: T0 + 100 }, T0);
      expect(await s.claimDeletes(a, { leaseId: 'next', expiresAt: T0 + 200 }, T0 + 100)).toBe(true);
      expect(await s.release(a, 'slow', 50, T0 + 150)).toBe(false);
      expect(await s.release(a, 'next', 10, T0 + 150)).toBe(true);
      expect((await s.get(a))?.usedBytes).toBe(40);
    });

    it('concurrent claims of the lease: exactly one wins', async () => {
      const s = store();
      const a = account();
      await s.reserve(a, at(1));
      const won = await Promise.all(Array.from({ length: 5 }, (_, i) => s.claimDeletes(a, { leaseId: `l${i}`, expiresAt: T0 + 100 }, T0)));
      expect(won.filter(Boolean)).toHaveLength(1);
    });

    it('the lock list is replaced only at the version it was read at', async () => {
      const s = store();
      const a = account();
      await s.reserve(a, at(10)); // an item without locks yet
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
      const results = await Promise.all(Array.from({ length: 10 }, () => s.reserve(a, at(30))));
      expect(results.filter(Boolean)).toHaveLength(3);
      expect(await s.get(a)).toMatchObject({ usedBytes: 90, reservations: [{ slot: 0, bytes: 90 }] });
    });

    it('concurrent reservations at the turn of a slot (it no longer counts) never pass the quota and keep every byte', async () => {
      const s = store();
      const a = account();
      await s.reserve(a, at(10, 100, { countsUntil: T0 }));
      const later = { countsUntil: T0 + 20_000, now: T0 + 1 };
      const results = await Promise.all(Array.from({ length: 10 }, () => s.reserve(a, at(30, 100, later))));
      expect(results.filter(Boolean)).toHaveLength(3);
      expect(await s.get(a)).toMatchObject({ usedBytes: 100, reservations: [{ slot: 0, bytes: 90, countsUntil: T0 + 20_000 }] });
    });

    it('recount sets the usage only at the quota version it read, and not while a delete lease is live', async () => {
      const s = store();
      const a = account();
      expect(await s.recount(a, 0, 5, T0)).toBe(true); // no item yet
      expect(await s.get(a)).toMatchObject({ usedBytes: 5, quotaVersion: 1 });
      await s.reserve(a, at(10));
      expect(await s.recount(a, 1, 0, T0)).toBe(false);
      expect((await s.get(a))?.usedBytes).toBe(15);
      expect(await s.recount(a, 2, 7, T0)).toBe(true);
      expect(await s.get(a)).toMatchObject({ usedBytes: 7, quotaVersion: 3, reservations: [{ slot: 0, bytes: 10 }] });
      await s.claimDeletes(a, { leaseId: 'd', expiresAt: T0 + 100 }, T0);
      expect(await s.recount(a, 3, 1, T0 + 99)).toBe(false);
      expect(await s.recount(a, 3, 1, T0 + 100)).toBe(true); // the lease expired: ended, its release refused
      expect(await s.release(a, 'd', 1, T0 + 100)).toBe(false);
      expect(await s.get(a)).toMatchObject({ usedBytes: 1, quotaVersion: 4 });
      expect((await s.get(a))?.deleteLease).toBeUndefined();
    });

    it('delete removes the item at its quota version and is idempotent; it refuses after a change of the usage', async () => {
      const s = store();
      const a = account();
      await s.setRepositoryId(a, 'one', T0);
      await s.reserve(a, at(10));
      expect(await s.delete(a, 0, 0, T0)).toBe(false);
      expect((await s.get(a))?.repositoryId).toBe('one');
      expect(await s.delete(a, 1, 0, T0)).toBe(true);
      expect(await s.delete(a, 1, 0, T0)).toBe(true);
      expect(await s.get(a)).toBeUndefined();
      expect(await s.setRepositoryId(a, 'two', T0)).toBe('two');
    });

    it('delete keeping bytes forgets the config id, locks and lease but keeps that usage and the slots', async () => {
      const s = store();
      const a = account();
      await s.setRepositoryId(a, 'one', T0);
      await s.reserve(a, at(40));
      await s.writeLocks(a, 0, [lock('l1', true)], T0);
      await s.claimDeletes(a, { leaseId: 'd', expiresAt: T0 + 100 }, T0);
      expect(await s.delete(a, 1, 25, T0)).toBe(true);
      const item = await s.get(a);
      expect(item).toMatchObject({ usedBytes: 25, quotaVersion: 2, locks: [], version: 0, reservations: [{ slot: 0, bytes: 40, countsUntil: T0 + 10_000 }] });
      expect(item?.repositoryId).toBeUndefined();
      expect(item?.deleteLease).toBeUndefined();
      expect(await s.release(a, 'd', 25, T0)).toBe(false);
      expect(await s.setRepositoryId(a, 'two', T0)).toBe('two');
      expect(await s.writeLocks(a, 0, [lock('l2')], T0)).toBe(true);
    });
  });
}
