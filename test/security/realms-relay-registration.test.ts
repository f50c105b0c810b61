// Attacker capability: a relay that reads every registration body on its way to every realm (a TLS-inspecting
// proxy on the client's side, or t compromised API gateways; docs/threat-model.md "Realms"). Each realm's record
// travels boxed to that realm's public key from the pinned set (HPKE, docs/protocol.md "Realms, registration"), so
// the bodies hold no OPRF share, no encryption share and nothing an offline guess could be checked against.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBase64url } from '../../protocol/base64url.js';
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
