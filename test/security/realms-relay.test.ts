// Attacker capability: a relay that sees every request and answer of the real user's recoveries at every realm
// (a TLS-terminating proxy, API Gateway logs), and holds the token (docs/threat-model.md "Realms"). Replaying an
// unlock proof resets nothing and returns nothing (the challenge is single-use); a captured share box opens for no
// one but the client; a replayed recovery start's answer fails the client's proof check.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64url } from '../../protocol/base64url.js';
import type { RealmEndpoint } from '../../client/realm-vault.js';
import { RealmVault } from '../../client/realm-vault.js';
import { CHEAP_STRETCHING } from '../helpers/cheap-stretching.js';
import { RealmSetup } from './realms.js';

type Seen = { realm: number; op: string; request: unknown; answer: unknown };

function recording(setup: RealmSetup, account: string, seen: Seen[]): RealmVault {
  return new RealmVault({
    account, threshold: setup.t, stretching: CHEAP_STRETCHING,
    realms: setup.realms.map((r) => {
      const inner = setup.endpoint(r, account);
      const wrap = <A extends unknown[], R>(op: string, f: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
        const answer = await f(...a);
        seen.push({ realm: r.index, op, request: a[0], answer });
        return answer;
      };
      const ep: RealmEndpoint = {
        status: wrap('status', inner.status), register: wrap('register', inner.register), recoveryStart: wrap('start', inner.recoveryStart),
        recoveryFinish: wrap('finish', inner.recoveryFinish), delete: wrap('delete', inner.delete),
      };
      return { ...setup.pinned(r), endpoint: ep };
    }),
  });
}

describe('a relay that sees all realm traffic', () => {
  it('cannot replay an unlock proof, open a share box, or pass off an old evaluation', async () => {
    const setup = new RealmSetup(3, 2, 5);
    const seen: Seen[] = [];
    const user = recording(setup, 'gina', seen);
    const K = new Uint8Array(randomBytes(32));
    await user.register(K, 'pw');
    await user.recover('pw');
    const finishes = seen.filter((s) => s.op === 'finish');
    expect(finishes).toHaveLength(2);

    // Spend an attempt at each realm the user used, then replay the captured finish: it must not reset the count.
    for (const f of finishes) {
      const realm = setup.realms[f.realm]!;
      const ep = setup.endpoint(realm, 'gina');
      const status = await realm.service.status('gina');
      await ep.recoveryStart({ version: status.version!, blindedElement: (seen.find((s) => s.op === 'start')!.request as { blindedElement: string }).blindedElement });
      const before = (await realm.service.status('gina')).attemptsRemaining;
      await expect(ep.recoveryFinish(f.request as Parameters<RealmEndpoint['recoveryFinish']>[0])).rejects.toMatchObject({ code: 'login-expired' });
      expect((await realm.service.status('gina')).attemptsRemaining).toBe(before);
      // The captured box is to the client's X25519 key: without its secret there is no shared key to open it.
      const box = decodeBase64url((f.answer as { shareBox: string }).shareBox)!;
      expect(box.length).toBe(184);
      const record = (await setup.stolen(f.realm, 'gina'))!;
      expect(Buffer.from(box).includes(Buffer.from(record.encryptionShare))).toBe(false);
      expect(Buffer.from(box).includes(Buffer.from(record.encryptedSecret))).toBe(false);
    }

    // A replayed start answer (from the earlier session) does not verify against a new blinded element.
    const replay = seen.filter((s) => s.op === 'start').map((s) => s.answer);
    let i = 0;
    const victim = new RealmVault({
      account: 'gina', threshold: 2, stretching: CHEAP_STRETCHING,
      realms: setup.realms.map((r) => {
        const ep = setup.endpoint(r, 'gina');
        return { ...setup.pinned(r), endpoint: { ...ep, recoveryStart: async (b) => (r.index === 0 ? (replay[i++ % replay.length] as Awaited<ReturnType<RealmEndpoint['recoveryStart']>>) : ep.recoveryStart(b)) } };
      }),
    });
    expect(Buffer.from(await victim.recover('pw')).equals(Buffer.from(K))).toBe(true); // realm 1's replay is dropped, the other two recover
  });
});
