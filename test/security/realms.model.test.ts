// A model test of the realm bound (docs/threat-model.md "Realms"): fast-check drives random moves across a realm set
// (the real user's right and wrong recoveries, the attacker's guesses with c owned realms, 200 concurrent starts at
// one realm, re-registration, DELETE, realm outages, a lying realm, clock jumps) and after every step checks:
// no realm ever counts past L; the attacker's password-testable answers since the user's last successful recovery
// (or registration) stay within ⌊(n−c)·L/(t−c)⌋; a recovery never returns a wrong K; and the right password is never
// answered 'wrong-password', whatever lies or outages.

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBkvError } from '../../protocol/errors.js';
import { guessBound } from '../../protocol/realm/constants.js';
import { blind } from '../../protocol/realm/toprf.js';
import { onlineAttack, RealmSetup } from './realms.js';

type Move =
  | { kind: 'recover'; right: boolean }
  | { kind: 'guess' }
  | { kind: 'burst'; realm: number }
  | { kind: 'register' }
  | { kind: 'delete' }
  | { kind: 'down'; realm: number; down: boolean }
  | { kind: 'lie'; realm: number; lying: boolean }
  | { kind: 'clock'; ms: number };

const move = (n: number): fc.Arbitrary<Move> => fc.oneof(
  fc.record({ kind: fc.constant('recover' as const), right: fc.boolean() }),
  fc.record({ kind: fc.constant('guess' as const) }),
  fc.record({ kind: fc.constant('burst' as const), realm: fc.nat(n - 1) }),
  fc.record({ kind: fc.constant('register' as const) }),
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('down' as const), realm: fc.nat(n - 1), down: fc.boolean() }),
  fc.record({ kind: fc.constant('lie' as const), realm: fc.nat(n - 1), lying: fc.boolean() }),
  fc.record({ kind: fc.constant('clock' as const), ms: fc.integer({ min: 0, max: 120_000 }) }),
);

const PASSWORD = 'right password';

describe.each([[3, 2, 0], [3, 2, 1], [2, 2, 1], [3, 3, 2]] as const)('realm model n=%i t=%i c=%i', (n, t, c) => {
  const L = 3;
  const owned = Array.from({ length: c }, (_, i) => i);
  const bound = guessBound(n, t, c, L);

  it(`keeps every realm within L and the attacker within ${bound} guesses between the user's recoveries`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(move(n), { minLength: 1, maxLength: 10 }), async (moves) => {
      const setup = new RealmSetup(n, t, L);
      const account = `acct-${randomBytes(4).toString('hex')}`;
      const client = () => setup.client(account);
      let K: Uint8Array | undefined = new Uint8Array(randomBytes(32));
      await client().register(K, PASSWORD);
      let sinceSuccess = 0;
      let guessNo = 0;
      for (const m of moves) {
        switch (m.kind) {
          case 'recover': {
            try {
              const got = await client().recover(m.right ? PASSWORD : 'a wrong one');
              expect(m.right).toBe(true);
              expect(K && Buffer.from(got).equals(Buffer.from(K))).toBe(true);
              sinceSuccess = 0;
            } catch (e) {
              if (m.right) expect(isBkvError(e, 'wrong-password')).toBe(false);
              expect(isBkvError(e) || (e as { kind?: string }).kind !== undefined).toBe(true);
            }
            break;
          }
          case 'guess': {
            if (!K) break;
            const live = await Promise.all(setup.realms.map((r) => r.store.get(account)));
            if (owned.some((i) => !live[i]?.record)) break; // the attacker's own realms lost the registration
            const honestUp = setup.realms.filter((r) => !owned.includes(r.index));
            const saved = honestUp.map((r) => r.down);
            honestUp.forEach((r) => (r.down = false)); // the attacker reaches every honest realm
            const { tested } = await onlineAttack(setup, account, owned, [`guess ${guessNo++}`], PASSWORD);
            honestUp.forEach((r, i) => (r.down = saved[i]!));
            sinceSuccess += tested;
            break;
          }
          case 'burst': {
            const realm = setup.realms[m.realm]!;
            const item = await realm.store.get(account);
            if (!item?.version || owned.includes(m.realm)) break;
            const before = item.attempts;
            const el = blind(new Uint8Array(randomBytes(32))).blindedElement;
            const results = await Promise.allSettled(Array.from({ length: 200 }, () => realm.service.recoveryStart(account, item.version!, el)));
            const ok = results.filter((r) => r.status === 'fulfilled').length;
            const after = (await realm.store.get(account))?.attempts ?? 0;
            expect(ok).toBe(Math.max(0, Math.min(200, item.maxAttempts - before)));
            if (ok > 0) expect(after).toBe(item.maxAttempts);
            break;
          }
          case 'register': {
            setup.realms.forEach((r) => (r.down = false));
            K = new Uint8Array(randomBytes(32));
            await client().register(K, PASSWORD);
            sinceSuccess = 0;
            break;
          }
          case 'delete': {
            setup.realms.forEach((r) => (r.down = false));
            await client().delete();
            K = undefined;
            await expect(client().recover(PASSWORD)).rejects.toMatchObject({ code: 'not-found' });
            break;
          }
          case 'down':
            setup.realms[m.realm]!.down = m.down;
            break;
          case 'lie':
            setup.realms[m.realm]!.lying = m.lying;
            break;
          case 'clock':
            setup.clock.advance(m.ms);
            break;
        }
        for (const r of setup.realms) {
          const raw = r.store.raw(account);
          if (raw?.attempts !== undefined && raw.maxAttempts !== undefined) expect(raw.attempts).toBeLessThanOrEqual(raw.maxAttempts);
        }
        expect(sinceSuccess).toBeLessThanOrEqual(bound);
      }
    }), { numRuns: 10 });
  }, 300_000);
});
