// Bad input to the realm routes (docs/protocol.md "Realms", invariant 10): each gets a 4xx problem+json with a
// clear code and changes nothing: no count, no registration replaced. Against a local runtime over HTTP.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.js';
import { RealmVault, realmEndpoint } from '../../client/realm-vault.js';
import { blind } from '../../protocol/realm/toprf.js';
import { CHEAP_STRETCHING } from '../helpers/cheap-stretching.js';
import { localRealmId, startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ realm: { id: localRealmId(1) } });
});
afterAll(async () => rt?.stop());

const b64 = (n: number, fill?: number) => encodeBase64url(fill === undefined ? new Uint8Array(randomBytes(n)) : new Uint8Array(n).fill(fill));

async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(rt.url + path, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json().catch(() => ({}))) as { type?: string } };
}

describe('realm routes refuse bad input and change nothing', () => {
  it('a malformed or forged request is a 4xx problem, counted nowhere', async () => {
    const token = await rt.token('hank');
    const v = new RealmVault({ account: 'hank', threshold: 1, stretching: CHEAP_STRETCHING, realms: [{ id: decodeBase64url(localRealmId(1))!, publicKey: decodeBase64url(rt.realmPublicKey)!, endpoint: realmEndpoint({ server: rt.url, token }) }] });
    await v.register(new Uint8Array(32).fill(7), 'pw');
    const before = await call(token, 'GET', '/v1/realm');
    const version = (before.body as { version: string }).version;
    const cases: [string, string, unknown, number, string][] = [
      ['start: not an element', '/v1/realm/recovery/start', { version, blindedElement: b64(32, 0xff) }, 400, 'bad-request'],
      ['start: the identity', '/v1/realm/recovery/start', { version, blindedElement: b64(32, 0) }, 400, 'bad-request'],
      ['start: wrong length', '/v1/realm/recovery/start', { version, blindedElement: b64(31) }, 400, 'bad-request'],
      ['start: unknown member', '/v1/realm/recovery/start', { version, blindedElement: encodeBase64url(blind(new Uint8Array(4)).blindedElement), x: 1 }, 400, 'bad-request'],
      ['finish: no pending recovery', '/v1/realm/recovery/finish', { version, challenge: b64(32), boxKey: b64(32, 9), unlockProof: b64(64) }, 401, 'login-expired'],
      ['finish: low-order box key', '/v1/realm/recovery/finish', { version, challenge: b64(32), boxKey: b64(32, 0), unlockProof: b64(64) }, 400, 'bad-request'],
      ['register: a box that does not open', '/v1/realm/register', { version: b64(16), enc: b64(32, 9), box: b64(381, 1), allowedGuesses: 5 }, 400, 'bad-request'],
      ['register: a low-order enc', '/v1/realm/register', { version: b64(16), enc: b64(32, 0), box: b64(381, 1), allowedGuesses: 5 }, 400, 'bad-request'],
      ['register: box of the wrong length', '/v1/realm/register', { version: b64(16), enc: b64(32, 9), box: b64(380, 1), allowedGuesses: 5 }, 400, 'bad-request'],
      ['register: a record in clear (the old body)', '/v1/realm/register', {
        version: b64(16), oprfShare: b64(32, 1), oprfPublicKey: b64(32), oprfSignature: b64(64), signingKey: b64(32), unlockKeyCommitment: b64(32),
        unlockPublicKey: b64(32), encryptionShare: b64(32, 1), encryptedSecret: b64(60), secretCommitment: b64(32), allowedGuesses: 5,
      }, 400, 'bad-request'],
      ['register: guesses out of range', '/v1/realm/register', { allowedGuesses: 0 }, 400, 'bad-request'],
    ];
    for (const [name, path, body, status, code] of cases) {
      const res = await call(token, 'POST', path, body);
      expect({ name, status: res.status, type: res.body.type }).toEqual({ name, status, type: `urn:bkv:problem:${code}` });
      expect(res.type).toMatch(/application\/problem\+json/);
    }
    expect((await call(token, 'GET', '/v1/realm')).body).toEqual(before.body);
    expect(Buffer.from(await v.recover('pw')).equals(Buffer.from(new Uint8Array(32).fill(7)))).toBe(true);
  });
});
