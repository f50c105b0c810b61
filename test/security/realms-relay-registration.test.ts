// Attacker capability: a relay that reads every registration body on its way to every realm (a TLS-inspecting
// proxy on the client's side, or t compromised API gateways; docs/threat-model.md "Realms"). Each realm's record
// travels boxed to that realm's public key from the pinned set (HPKE, docs/protocol.md "Realms, registration"), so
// the bodies hold no OPRF share, no encryption share and nothing an offline guess could be checked against. And the
// key that makes this possible is no new way to stop recoveries: a realm whose key service is down refuses only
// registrations.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64url } from '../../protocol/base64url.js';
import { BkvError } from '../../protocol/errors.js';
import { RealmService } from '../../functions/realm/service.js';
import type { RealmEndpoint } from '../../client/realm-vault.js';
import { RealmVault } from '../../client/realm-vault.js';
import { CHEAP_STRETCHING } from '../helpers/cheap-stretching.js';
import { RealmSetup } from './realms.js';

type Register = Parameters<RealmEndpoint['register']>[0];

/** Every byte string the relay can read in a body: each string value, as text and base64url-decoded. */
function readable(body: unknown): Buffer[] {
  return Object.values(body as Record<string, unknown>).flatMap((v) => {
    if (typeof v !== 'string') return [];
    const decoded = decodeBase64url(v);
    return [Buffer.from(v, 'utf8'), ...(decoded ? [Buffer.from(decoded)] : [])];
  });
}

function relayed(setup: RealmSetup, account: string, bodies: Register[][]): RealmVault {
  return new RealmVault({
    account, threshold: setup.t, stretching: CHEAP_STRETCHING,
    realms: setup.realms.map((r) => {
      const inner = setup.endpoint(r, account);
      bodies[r.index] = [];
      return { ...setup.pinned(r), endpoint: { ...inner, register: async (b: Register) => (bodies[r.index]!.push(b), inner.register(b)) } };
    }),
  });
}

describe('a relay that reads every registration body', () => {
  it('learns no realm\'s share: the OPRF and encryption shares appear in no body, as bytes or base64url', async () => {
    const setup = new RealmSetup(3, 2, 7);
    const bodies: Register[][] = [];
    await relayed(setup, 'hana', bodies).register(new Uint8Array(randomBytes(32)), 'pw');
    const seen = bodies.flat().flatMap(readable);
    expect(seen.length).toBeGreaterThan(0);
    for (const i of [0, 1, 2]) {
      const record = (await setup.stolen(i, 'hana'))!;
      for (const secret of [record.oprfShare, record.encryptionShare, record.encryptedSecret, record.secretCommitment]) {
        const b64 = Buffer.from(secret).toString('base64url');
        for (const s of seen) {
          expect(s.includes(Buffer.from(secret))).toBe(false);
          expect(s.includes(Buffer.from(b64))).toBe(false);
        }
      }
    }
  });

  it('cannot move a box: realm A\'s body is refused at realm B and for another account, and changes nothing there', async () => {
    const setup = new RealmSetup(3, 2, 7);
    const bodies: Register[][] = [];
    await relayed(setup, 'ines', bodies).register(new Uint8Array(randomBytes(32)), 'pw');
    const boxForA = bodies[0]![0]!;
    const before = await setup.realms[1]!.service.status('ines');
    await expect(setup.endpoint(setup.realms[1]!, 'ines').register(boxForA)).rejects.toMatchObject({ code: 'bad-request' });
    expect(await setup.realms[1]!.service.status('ines')).toEqual(before);
    await expect(setup.endpoint(setup.realms[0]!, 'jon').register(boxForA)).rejects.toMatchObject({ code: 'bad-request' });
    expect((await setup.realms[0]!.service.status('jon')).registered).toBe(false);
  });
});

describe('a realm whose key service is down', () => {
  it('refuses registrations (nothing stored) but still answers status and recoveries', async () => {
    const setup = new RealmSetup(3, 2, 7);
    const K = new Uint8Array(randomBytes(32));
    await setup.client('pia').register(K, 'pw');
    const realm = setup.realms[0]!;
    const down = new RealmService({
      store: realm.store, sealer: realm.sealer, clock: setup.clock, realmId: realm.id, maxAttempts: 7,
      keySeed: async () => {
        throw new BkvError('unavailable', 'key service unavailable');
      },
    });
    const status = await down.status('pia');
    expect(status).toMatchObject({ registered: true, attemptsRemaining: 7 });
    expect(status.publicKey).toBeUndefined();
    expect((await realm.service.status('pia')).publicKey).toBe(Buffer.from(realm.publicKey).toString('base64url'));
    const before = await realm.store.get('pia');
    await expect(down.register('pia', { version: new Uint8Array(16), enc: new Uint8Array(32).fill(9), box: new Uint8Array(381) }, 7)).rejects.toMatchObject({ code: 'unavailable' });
    expect(await realm.store.get('pia')).toEqual(before);
    realm.service = down;
    expect(Buffer.from(await setup.client('pia').recover('pw')).equals(Buffer.from(K))).toBe(true);
  });
});

describe('a realm that answers another key than the pinned one', () => {
  it('gets no registration anywhere: the client refuses before any realm replaces what it holds', async () => {
    const setup = new RealmSetup(3, 2, 7);
    const K = new Uint8Array(randomBytes(32));
    await setup.client('quinn').register(K, 'pw');
    const before = await Promise.all(setup.realms.map((r) => r.store.get('quinn')));
    const realm = setup.realms[1]!;
    realm.service = new RealmService({
      store: realm.store, sealer: realm.sealer, clock: setup.clock, realmId: realm.id, maxAttempts: 7, keySeed: async () => new Uint8Array(randomBytes(32)),
    });
    await expect(setup.client('quinn').register(new Uint8Array(randomBytes(32)), 'pw2')).rejects.toMatchObject({ kind: 'bad-answer' });
    expect(await Promise.all(setup.realms.map((r) => r.store.get('quinn')))).toEqual(before);
    expect(Buffer.from(await setup.client('quinn').recover('pw')).equals(Buffer.from(K))).toBe(true);
  });
});
