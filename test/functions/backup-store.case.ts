// Shared suite of the BackupStore port: one item per backup, every state change one conditional write
// (pending → committed, pending|committed → deleting, deleting → gone), strongly consistent newest-first listing.
// Each case uses its own account, so one store serves the whole suite.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BackupRecord, BackupStore } from '../../functions/ports.js';

const T0 = 1_700_000_000_000;
const id = (n: number) => `01jd${String(n).padStart(22, '0')}`;
const pending = (account: string, n: number, extra: Partial<BackupRecord> = {}): BackupRecord => ({
  account, backupId: id(n), state: 'pending', size: 10, partSize: 8 * 1024 * 1024, partCount: 1, createdAt: T0 + n, expiresAt: T0 + n + 3600_000, ...extra,
});

export function backupStoreSuite(name: string, store: () => BackupStore): void {
  describe(`BackupStore: ${name}`, () => {
    const account = () => `acct-${randomUUID()}`;

    it('writes a pending record once; a second write of the same id is refused and changes nothing', async () => {
      const s = store();
      const a = account();
      expect(await s.createPending(pending(a, 1, { uploadId: 'up-1', partCount: 2 }))).toBe(true);
      expect(await s.createPending(pending(a, 1, { size: 99 }))).toBe(false);
      expect(await s.get(a, id(1))).toEqual(pending(a, 1, { uploadId: 'up-1', partCount: 2 }));
    });

    it('commits only a pending record, once', async () => {
      const s = store();
      const a = account();
      await s.createPending(pending(a, 1));
      expect(await s.commit(a, id(1), T0 + 5)).toBe(true);
      expect(await s.commit(a, id(1), T0 + 6)).toBe(false);
      expect(await s.get(a, id(1))).toMatchObject({ state: 'committed', committedAt: T0 + 5 });
      expect(await s.commit(a, id(2), T0)).toBe(false);
      expect(await s.get(a, id(2))).toBeUndefined(); // a refused commit creates nothing
    });

    it('marks deleting only from the named state; a deleting record can no longer commit', async () => {
      const s = store();
      const a = account();
      await s.createPending(pending(a, 1));
      expect(await s.markDeleting(a, id(1), 'committed')).toBe(false);
      expect(await s.markDeleting(a, id(1), 'pending')).toBe(true);
      expect(await s.markDeleting(a, id(1), 'pending')).toBe(false);
      expect(await s.commit(a, id(1), T0)).toBe(false);
      expect((await s.get(a, id(1)))?.state).toBe('deleting');
    });

    it('removes only deleting records; removing a missing one is fine', async () => {
      const s = store();
      const a = account();
      await s.createPending(pending(a, 1));
      await s.remove(a, id(1));
      expect((await s.get(a, id(1)))?.state).toBe('pending');
      await s.markDeleting(a, id(1), 'pending');
      await s.remove(a, id(1));
      expect(await s.get(a, id(1))).toBeUndefined();
      await expect(s.remove(a, id(1))).resolves.toBeUndefined();
    });

    it("lists all of an account's records, newest id first, and nobody else's", async () => {
      const s = store();
      const a = account();
      const b = `${a}x`; // shares a's beginning
      for (const n of [3, 1, 2]) await s.createPending(pending(a, n));
      await s.createPending(pending(b, 9));
      await s.commit(a, id(2), T0);
      expect((await s.list(a)).map((r) => [r.backupId, r.state])).toEqual([[id(3), 'pending'], [id(2), 'committed'], [id(1), 'pending']]);
      expect((await s.list(b)).map((r) => r.backupId)).toEqual([id(9)]);
      expect(await s.list(account())).toEqual([]);
      expect(await s.get(b, id(1))).toBeUndefined();
    });

    it('pages through long listings', async () => {
      const s = store();
      const a = account();
      const big = 'x'.repeat(40_000); // ~26 items per 1 MB page
      await Promise.all(Array.from({ length: 60 }, (_, n) => s.createPending(pending(a, n, { uploadId: big }))));
      const listed = await s.list(a);
      expect(listed).toHaveLength(60);
      expect(listed[0]?.backupId).toBe(id(59));
    });

    it('finds accounts with pending or deleting records, not those with only committed ones', async () => {
      const s = store();
      const [p, d, c] = [account(), account(), account()];
      await s.createPending(pending(p, 1));
      await s.createPending(pending(d, 1));
      await s.markDeleting(d, id(1), 'pending');
      await s.createPending(pending(c, 1));
      await s.commit(c, id(1), T0);
      const found = await s.accountsWithUnfinished();
      expect(found).toEqual(expect.arrayContaining([p, d]));
      expect(found).not.toContain(c);
    });
  });
}
