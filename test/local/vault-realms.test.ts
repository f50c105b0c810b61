// Three local runtimes as a 2-of-3 realm set over HTTP (README "Several realms on one machine"): one identity
// provider (realm 1's) whose tokens every realm takes, the set published at GET /v1/realms, recovery from any two
// realms while the third is down, and a wrong password counted at the realms asked.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64url } from '../../protocol/base64url.js';
import { RealmSetResponse } from '../../protocol/realm/schemas.js';
import { RealmVault, realmEndpoint } from '../../client/realm-vault.js';
import { CHEAP_STRETCHING } from '../helpers/cheap-stretching.js';
import { startTestRealms, type TestRealms } from '../helpers/local.js';

let realms: TestRealms;
beforeAll(async () => {
  realms = await startTestRealms(3, 2);
});
afterAll(async () => realms?.stop());

async function vault(account: string, urls?: string[]): Promise<RealmVault> {
  const token = await realms.token(account);
  return new RealmVault({
    account, threshold: realms.set.threshold, stretching: CHEAP_STRETCHING,
    realms: realms.set.realms.map((r, i) => ({ id: decodeBase64url(r.id)!, publicKey: decodeBase64url(r.publicKey)!, endpoint: realmEndpoint({ server: urls?.[i] ?? r.url, token }) })),
  });
}

describe('a 2-of-3 realm set of local runtimes', () => {
  it('publishes the set without a token', async () => {
    const res = await fetch(`${realms.primary.url}/v1/realms`);
    expect(res.status).toBe(200);
    expect(RealmSetResponse.parse(await res.json())).toEqual(realms.set);
    expect((await fetch(`${realms.all[1]!.url}/v1/realms`)).status).toBe(404);
  });

  it('registers at all three and recovers K from any two, also with one realm down', async () => {
    const K = new Uint8Array(randomBytes(32));
    const v = await vault('carol');
    expect(await v.register(K, 'pw')).toMatchObject({ allowedGuesses: [7, 7, 7] });
    expect(Buffer.from(await v.recover('pw')).equals(Buffer.from(K))).toBe(true);
    const down = await vault('carol', [realms.set.realms[0]!.url, 'http://127.0.0.1:9', realms.set.realms[2]!.url]);
    expect(Buffer.from(await down.recover('pw')).equals(Buffer.from(K))).toBe(true);
  });

  it('a wrong password is counted at the two realms asked, and the next success resets them', async () => {
    const v = await vault('dave');
    const K = new Uint8Array(randomBytes(32));
    await v.register(K, 'pw');
    await expect(v.recover('nope')).rejects.toMatchObject({ code: 'wrong-password', details: { attemptsRemaining: 9 } });
    const left = (await v.status()).map((r) => ('status' in r ? r.status.attemptsRemaining : -1)).sort();
    expect(left).toEqual([6, 6, 7]);
    await v.recover('pw');
    const after = (await v.status()).map((r) => ('status' in r ? r.status.attemptsRemaining : -1)).sort();
    expect(after).toEqual([6, 7, 7]);
  });

  it('a token of another provider is refused by every realm', async () => {
    const foreign = await realms.all[1]!.token('carol'); // realm 2's own provider, which no realm trusts
    for (const r of realms.set.realms) {
      expect((await fetch(`${r.url}/v1/realm`, { headers: { authorization: `Bearer ${foreign}` } })).status).toBe(401);
    }
  });
});
