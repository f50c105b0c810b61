// Shared suite of the RealmStore port (functions/ports.ts): the conditional writes that carry each realm's guess
// limit (docs/threat-model.md "Realms") and the realm item's states. Each case uses its own account.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { RealmStore } from '../../functions/ports.js';

const T0 = 1_000_000;
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);
const chal = (fill: number, expiresAt = T0 + 60_000) => ({ challenge: bytes(32, fill), expiresAt });

export function realmStoreSuite(name: string, store: () => RealmStore): void {
  describe(`RealmStore: ${name}`, () => {
    const account = () => `acct-${randomUUID()}`;
    const register = (s: RealmStore, a: string, maxAttempts = 3, fill = 7) =>
      s.register(a, { version: bytes(16, fill), record: bytes(8, fill), maxAttempts, now: T0 });

    it('registers generation 1, then replaces everything with generation + 1, attempts 0, no pending recovery', async () => {
      const s = store();
      const a = account();
      expect(await s.get(a)).toBeUndefined();
      expect(await register(s, a)).toBe(1);
      expect(await s.startRecovery(a, 1, chal(1), T0)).toBe(1);
      expect(await register(s, a, 5, 9)).toBe(2);
      const item = await s.get(a);
      expect(item).toMatchObject({ state: 'live', generation: 2, attempts: 0, maxAttempts: 5 });
      expect(item?.pending).toBeUndefined();
      expect(Buffer.from(item!.version!).equals(Buffer.from(bytes(16, 9)))).toBe(true);
    });

    it('counts starts up to maxAttempts and refuses the next, unchanged', async () => {
      const s = store();
      const a = account();
      await register(s, a, 2);
      expect(await s.startRecovery(a, 1, chal(1), T0)).toBe(1);
      expect(await s.startRecovery(a, 1, chal(2), T0)).toBe(2);
      expect(await s.startRecovery(a, 1, chal(3), T0)).toBeUndefined();
      const item = await s.get(a);
      expect(item?.attempts).toBe(2);
      expect(item?.pending?.challenge[0]).toBe(2);
    });

    it('refuses a start for another generation', async () => {
      const s = store();
      const a = account();
      await register(s, a);
      expect(await s.startRecovery(a, 2, chal(1), T0)).toBeUndefined();
      expect((await s.get(a))?.attempts).toBe(0);
    });

    it('200 concurrent starts count exactly maxAttempts', async () => {
      const s = store();
      const a = account();
      await register(s, a, 10);
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => s.startRecovery(a, 1, chal(i % 256), T0)));
      expect(results.filter((r) => r !== undefined).sort((x, y) => x! - y!)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      expect((await s.get(a))?.attempts).toBe(10);
    });

    it('a finish is single use, needs the current challenge unexpired, and success resets the count', async () => {
      const s = store();
      const a = account();
      await register(s, a);
      await s.startRecovery(a, 1, chal(1), T0);
      await s.startRecovery(a, 1, chal(2), T0);
      const finish = (fill: number, now = T0, outcome: 'success' | 'failure' = 'success') =>
        s.finishRecovery(a, { generation: 1, challenge: bytes(32, fill), attempts: 2, now, outcome, destroy: false });
      expect(await finish(1)).toBe(false); // replaced by the newer start
      expect(await finish(2, T0 + 60_000)).toBe(false); // expired
      expect(await finish(2)).toBe(true);
      expect(await finish(2)).toBe(false); // used
      expect(await s.get(a)).toMatchObject({ attempts: 0 });
      expect((await s.get(a))?.pending).toBeUndefined();
    });

    it('a failed finish keeps the count; with destroy on a spent count it crypto-shreds the record', async () => {
      const s = store();
      const a = account();
      await register(s, a, 1);
      await s.startRecovery(a, 1, chal(1), T0);
      expect(await s.finishRecovery(a, { generation: 1, challenge: bytes(32, 1), attempts: 1, now: T0, outcome: 'failure', destroy: true })).toBe(true);
      const item = await s.get(a);
      expect(item).toMatchObject({ state: 'destroyed', attempts: 1 });
      expect(item?.record).toBeUndefined();
      expect(item?.version).toBeUndefined();
      expect(await s.startRecovery(a, 1, chal(2), T0)).toBeUndefined();
    });

    it('destroyIfSpent waits for a live pending recovery, then destroys', async () => {
      const s = store();
      const a = account();
      await register(s, a, 1);
      await s.startRecovery(a, 1, chal(1), T0);
      expect(await s.destroyIfSpent(a, 1, T0 + 1)).toBe(false);
      expect(await s.destroyIfSpent(a, 1, T0 + 60_000)).toBe(true);
      expect((await s.get(a))?.state).toBe('destroyed');
    });

    it('delete empties the item and keeps the generation; registering again goes on from it', async () => {
      const s = store();
      const a = account();
      await register(s, a);
      await s.delete(a, T0);
      await s.delete(a, T0);
      expect(await s.get(a)).toMatchObject({ state: 'empty', generation: 1, attempts: 0 });
      expect((await s.get(a))?.record).toBeUndefined();
      expect(await register(s, a)).toBe(2);
    });
  });
}
