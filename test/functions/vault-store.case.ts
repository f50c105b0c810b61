// Shared suite of the VaultStore port: the conditional writes that carry the guess limit (docs/threat-model.md,
// invariants 2-5) and the vault's states (functions/ports.ts VaultState).
// Each case uses its own account, so one store serves the whole suite.

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PendingLogin, PendingRegistration, VaultStore } from '../../functions/ports.js';

const T0 = 1_000_000;
const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);
const pending = (id: string, expiresAt = T0 + 60_000): PendingLogin => ({ loginId: id, state: bytes(8, 9), expiresAt });

export function vaultStoreSuite(name: string, store: () => VaultStore): void {
  describe(`VaultStore: ${name}`, () => {
    const account = () => `acct-${randomUUID()}`;
    let n = 0;
    const pendingRegistration = (expiresAt = T0 + 300_000): PendingRegistration =>
      ({ registrationId: `r${++n}`, credentialId: bytes(32, n % 256), expiresAt });
    const register = async (s: VaultStore, a: string, maxAttempts = 3) => {
      const r = pendingRegistration();
      await s.startRegistration(a, r, T0);
      return s.register(a, { ...r, record: bytes(4), sealedKey: bytes(4, 2), maxAttempts, now: T0 });
    };

    it('registers generation 1, then replaces the whole record with generation + 1', async () => {
      const s = store();
      const a = account();
      expect(await register(s, a)).toBe(1);
      expect(await s.startLogin(a, 1, pending('p1'), T0)).toBe(1);
      expect(await register(s, a, 5)).toBe(2);
      const item = await s.get(a);
      expect(item).toMatchObject({ state: 'live', generation: 2, attempts: 0, maxAttempts: 5 });
      expect(item?.pending).toBeUndefined();
      expect(item?.registration).toBeUndefined();
      expect(Buffer.from(item!.sealedKey!).equals(Buffer.from(bytes(4, 2)))).toBe(true);
    });

    it('counts starts up to maxAttempts and refuses the next, leaving the item unchanged', async () => {
      const s = store();
      const a = account();
      await register(s, a);
      for (let i = 1; i <= 3; i++) expect(await s.startLogin(a, 1, pending(`p${i}`), T0)).toBe(i);
      expect(await s.startLogin(a, 1, pending('p4'), T0)).toBeUndefined();
      expect(await s.get(a)).toMatchObject({ attempts: 3, pending: { loginId: 'p3' } });
    });

    it('refuses a start for a stale generation or a missing item', async () => {
      const s = store();
      const a = account();
      await register(s, a);
      await register(s, a);
      expect(await s.startLogin(a, 1, pending('x'), T0)).toBeUndefined();
      expect(await s.startLogin(account(), 1, pending('x'), T0)).toBeUndefined();
      expect((await s.get(a))?.attempts).toBe(0);
    });

    it('lets exactly maxAttempts of many concurrent starts through', async () => {
      const s = store();
      const a = account();
      await register(s, a, 5);
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => s.startLogin(a, 1, pending(`c${i}`), T0)));
      expect(results.filter((r) => r !== undefined).sort()).toEqual([1, 2, 3, 4, 5]);
      expect((await s.get(a))?.attempts).toBe(5);
    });

    it('consumes a pending login once: success resets the count, a replay is refused', async () => {
      const s = store();
      const a = account();
      await register(s, a);
      await s.startLogin(a, 1, pending('p1'), T0);
      await s.startLogin(a, 1, pending('p2'), T0);
      const finish = { generation: 1, loginId: 'p2', attempts: 2, now: T0 + 1, outcome: 'success' as const, destroy: false };
      expect(await s.finishLogin(a, { ...finish, loginId: 'p1' })).toBe(false);
      expect(await s.finishLogin(a, finish)).toBe(true);
      expect(await s.get(a)).toMatchObject({ attempts: 0 });
      expect((await s.get(a))?.pending).toBeUndefined();
      expect(await s.finishLogin(a, finish)).toBe(false);
    });

    it('refuses an expired finish, and one whose count changed since it was read', async () => {
      const s = store();
      const a = account();
      await register(s, a);
      await s.startLogin(a, 1, pending('p1', T0 + 10), T0);
      const finish = { generation: 1, loginId: 'p1', attempts: 1, now: T0 + 10, outcome: 'success' as const, destroy: false };
      expect(await s.finishLogin(a, finish)).toBe(false);
      expect(await s.finishLogin(a, { ...finish, now: T0 + 5, attempts: 0 })).toBe(false);
      expect(await s.get(a)).toMatchObject({ attempts: 1, pending: { loginId: 'p1' } });
    });

    it('a failed last finish crypto-shreds the record and sealed key', async () => {
      const s = store();
      const a = account();
      await register(s, a, 1);
      await s.startLogin(a, 1, pending('p1'), T0);
      expect(await s.finishLogin(a, { generation: 1, loginId: 'p1', attempts: 1, now: T0 + 1, outcome: 'failure', destroy: true })).toBe(true);
      const item = await s.get(a);
      expect(item).toMatchObject({ state: 'destroyed', attempts: 1 });
      expect(item?.credentialId).toBeUndefined();
      expect(item?.record).toBeUndefined();
      expect(item?.sealedKey).toBeUndefined();
      expect(await s.startLogin(a, 1, pending('p2'), T0 + 2)).toBeUndefined();
    });

    it('destroyIfSpent waits for a live pending login, then shreds once', async () => {
      const s = store();
      const a = account();
      await register(s, a, 2);
      expect(await s.destroyIfSpent(a, 1, T0)).toBe(false);
      await s.startLogin(a, 1, pending('p1'), T0);
      await s.startLogin(a, 1, pending('p2', T0 + 100), T0);
      expect(await s.destroyIfSpent(a, 1, T0 + 99)).toBe(false);
      expect((await s.get(a))?.sealedKey).toBeDefined();
      expect(await s.destroyIfSpent(a, 1, T0 + 100)).toBe(true);
      expect(await s.destroyIfSpent(a, 1, T0 + 100)).toBe(false);
      expect(await s.get(a)).toMatchObject({ state: 'destroyed' });
      expect((await s.get(a))?.record).toBeUndefined();
    });

    it('a registration finishes once, only while unexpired, only with its own credential id', async () => {
      const s = store();
      const a = account();
      const r = pendingRegistration(T0 + 100);
      await s.startRegistration(a, r, T0);
      expect(await s.get(a)).toMatchObject({ state: 'empty', generation: 0, registration: { registrationId: r.registrationId } });
      const finish = { ...r, record: bytes(4), sealedKey: bytes(4, 2), maxAttempts: 3, now: T0 + 1 };
      expect(await s.register(a, { ...finish, registrationId: 'other' })).toBeUndefined();
      expect(await s.register(a, { ...finish, credentialId: bytes(32, 0xee) })).toBeUndefined();
      expect(await s.register(a, { ...finish, now: T0 + 100 })).toBeUndefined();
      expect((await s.get(a))?.state).toBe('empty');
      expect(await s.register(a, finish)).toBe(1);
      expect(await s.get(a)).toMatchObject({ state: 'live', generation: 1 });
      expect(Buffer.from((await s.get(a))!.credentialId!).equals(Buffer.from(r.credentialId))).toBe(true);
      expect(await s.register(a, finish)).toBeUndefined(); // consumed: a replay changes nothing
      expect((await s.get(a))?.generation).toBe(1);
    });

    it('a newer registration start replaces the older one; neither disturbs the live record or its count', async () => {
      const s = store();
      const a = account();
      await register(s, a);
      await s.startLogin(a, 1, pending('p1'), T0);
      const older = pendingRegistration();
      const newer = pendingRegistration();
      await s.startRegistration(a, older, T0);
      await s.startRegistration(a, newer, T0);
      expect(await s.get(a)).toMatchObject({ state: 'live', generation: 1, attempts: 1, pending: { loginId: 'p1' } });
      expect(await s.register(a, { ...older, record: bytes(4), sealedKey: bytes(4), maxAttempts: 3, now: T0 })).toBeUndefined();
      expect(await s.register(a, { ...newer, record: bytes(4), sealedKey: bytes(4), maxAttempts: 3, now: T0 })).toBe(2);
    });

    it('delete empties the vault but keeps its generation: the next registration is never a reused generation', async () => {
      const s = store();
      const a = account();
      expect(await register(s, a)).toBe(1);
      await s.startLogin(a, 1, pending('p1'), T0);
      await s.startRegistration(a, pendingRegistration(), T0);
      await s.delete(a, T0 + 1);
      const item = await s.get(a);
      expect(item).toMatchObject({ state: 'empty', generation: 1, attempts: 0 });
      expect([item?.record, item?.sealedKey, item?.credentialId, item?.pending, item?.registration]).toEqual([undefined, undefined, undefined, undefined, undefined]);
      // A login start that read generation 1 before the delete cannot land on the emptied item or a new one.
      expect(await s.startLogin(a, 1, pending('p2'), T0 + 2)).toBeUndefined();
      expect(await register(s, a)).toBe(2);
      expect(await s.startLogin(a, 1, pending('p3'), T0 + 2)).toBeUndefined();
      expect((await s.get(a))?.attempts).toBe(0);
      await s.delete(account(), T0); // idempotent on an account that never had a vault
    });

    it('the server setup is stored once', async () => {
      const s = store();
      const first = await s.putServerSetupIfAbsent(bytes(5, 5));
      const second = await s.putServerSetupIfAbsent(bytes(5, 6));
      expect(Buffer.from(second).equals(Buffer.from(first))).toBe(true);
      expect(Buffer.from((await s.getServerSetup())!).equals(Buffer.from(first))).toBe(true);
    });
  });
}
