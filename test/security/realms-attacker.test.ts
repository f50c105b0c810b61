// Attacker capability: the operator of c realms (their table and sealing key), with any token, against a t-of-n
// realm set with per-realm limit L (docs/threat-model.md "Realms", the bound table). With c < t it gets exactly
// ⌊(n−c)·L/(t−c)⌋ password-testable answers, all online, and forged unlock proofs reset nothing; with c ≥ t it
// recovers the password offline and opens K (cheap Argon2id here; real cost: docs/benchmarks.md).

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { guessBound } from '../../protocol/realm/constants.js';
import { offlineAttack, onlineAttack, RealmSetup } from './realms.js';

const L = 3;
const password = 'the real password';
/** More wrong guesses than any bound here allows, so a broken limit shows as a count, not a hang. */
const wrong = function* () {
  for (let i = 0; i < 40; i++) yield `wrong guess ${i}`;
};

describe.each([
  [1, 1, 0], [1, 1, 1], [2, 2, 0], [2, 2, 1], [3, 2, 0], [3, 2, 1], [3, 3, 2], [3, 2, 2],
] as const)('n=%i t=%i c=%i', (n, t, c) => {
  const owned = Array.from({ length: c }, (_, i) => i);

  if (c < t) {
    it(`gets exactly ⌊(n−c)·L/(t−c)⌋ = ${guessBound(n, t, c, L)} password-testable answers (L=${L}), none offline`, async () => {
      const setup = new RealmSetup(n, t, L);
      const K = new Uint8Array(randomBytes(32));
      await setup.client('alice').register(K, password);
      const { tested, found } = await onlineAttack(setup, 'alice', owned, wrong(), password);
      expect(tested).toBe(guessBound(n, t, c, L));
      expect(found).toBe(false);
      // Every honest realm is spent: the real password now finds too few realms (the key is gone), and no
      // owned share, however many guesses, completes the OPRF alone.
      await expect(setup.client('alice').recover(password)).rejects.toMatchObject({ code: 'locked' });
      setup.clock.advance(61_000);
      for (const r of setup.realms.filter((x) => !owned.includes(x.index))) {
        await expect(r.service.recoveryStart('alice', new Uint8Array(16), new Uint8Array(32))).rejects.toMatchObject({ code: expect.stringMatching(/bad-request|locked/) });
        expect((await r.service.status('alice')).attemptsRemaining).toBe(0);
      }
    });
  } else {
    it('recovers the password offline and opens K', async () => {
      const setup = new RealmSetup(n, t, L);
      const K = new Uint8Array(randomBytes(32));
      await setup.client('alice').register(K, password);
      const hit = await offlineAttack(setup, 'alice', owned, ['123456', 'password', 'letmein', password]);
      expect(hit?.password).toBe(password);
      expect(Buffer.from(hit!.backupKey!).equals(Buffer.from(K))).toBe(true);
      for (const r of setup.realms) expect((await r.service.status('alice')).attemptsRemaining).toBe(L); // all offline
    });
  }
});

describe('a token holder (c = 0) against the default 2-of-3 set with the client-chosen L', () => {
  it('gets at most 10 guesses, and the real user recovers in between', async () => {
    const setup = new RealmSetup(3, 2, 7);
    const K = new Uint8Array(randomBytes(32));
    const client = setup.client('bob');
    expect((await client.register(K, password)).allowedGuesses).toEqual([7, 7, 7]);
    const first = await onlineAttack(setup, 'bob', [], (function* () { for (let i = 0; i < 4; i++) yield `w${i}`; })(), password);
    expect(first.tested).toBe(4);
    expect(Buffer.from(await client.recover(password)).equals(Buffer.from(K))).toBe(true); // resets the realms it used
    const second = await onlineAttack(setup, 'bob', [], wrong(), password);
    expect(second.tested).toBeLessThanOrEqual(10);
    expect(second.tested).toBeGreaterThanOrEqual(8);
  });
});
