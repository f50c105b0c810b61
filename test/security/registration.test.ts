// Registration as a token holder can drive it (docs/threat-model.md, invariants 2, 5 and 10): a finish installs
// only a valid OPAQUE record, only for its own unexpired start, once; generations are never reused, across DELETE
// too. Every refusal leaves the vault exactly as it was: the right password still recovers the same key.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../protocol/base64url.js';
import { REGISTRATION_TTL_MS } from '../../protocol/constants.js';
import { sealBackupKey } from '../../protocol/key-seal.js';
import { ManualClock } from '../helpers/clock.js';
import { post, startTestRuntime, vaultStatus, type TestRuntime } from '../helpers/local.js';
import { loginStartFor, registrationFor } from '../helpers/opaque-client.js';

const clock = new ManualClock(Date.now());
let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ maxAttempts: 10, clock });
});
afterAll(async () => rt.stop());

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

async function setUp(account: string) {
  const client = await rt.vaultClient(account);
  const key = new Uint8Array(randomBytes(32));
  await client.register(key, 'the right password');
  return { client, key, token: await rt.token(account) };
}

const status = (token: string) => vaultStatus(rt, token);

async function startRegistration(token: string, account: string, password: string) {
  return registrationFor(password, async (registrationRequest) => {
    const res = await post(rt, '/v1/vault/registration/start', token, { registrationRequest });
    expect(res.status).toBe(200);
    const body = await json(res);
    return { registrationId: String(body.registrationId), registrationResponse: String(body.registrationResponse) };
  }).then((reg) => ({ ...reg, sealedKey: encodeBase64url(sealBackupKey(reg.exportKey, account, new Uint8Array(randomBytes(32)))) }));
}

async function expectUnchanged(setup: Awaited<ReturnType<typeof setUp>>, before: Record<string, unknown>) {
  expect(await status(setup.token)).toEqual(before);
  expect(Buffer.from(await setup.client.recover('the right password')).equals(Buffer.from(setup.key))).toBe(true);
}

describe('registration finish', () => {
  const garbage: [string, () => Uint8Array][] = [
    ['all zero', () => new Uint8Array(192)],
    ['all 0xff', () => new Uint8Array(192).fill(0xff)],
    ['a valid record with its public key zeroed', () => new Uint8Array(192)], // filled in below from a real record
    ...Array.from({ length: 8 }, (_, i) => [`random #${i + 1}`, () => {
      // A random 32-byte string is a canonical ristretto255 encoding only rarely; keep the ones that are not.
      const r = new Uint8Array(randomBytes(192));
      r[31] = (r[31] ?? 0) | 0x80; // the top bit of a canonical encoding is always clear
      return r;
    }] as [string, () => Uint8Array]),
  ];

  it.for(garbage)('refuses a %s record: 400 bad-request, nothing changed, the start still usable', async ([name, make]) => {
    const account = `garbage-${name.replace(/\W/g, '')}`;
    const setup = await setUp(account);
    const before = await status(setup.token);
    const reg = await startRegistration(setup.token, account, 'attacker password');
    let record = make();
    if (name.startsWith('a valid record')) {
      record = new Uint8Array(Buffer.from(reg.registrationRecord, 'base64url'));
      record.fill(0, 0, 32);
    }
    const res = await post(rt, '/v1/vault/registration/finish', setup.token, {
      registrationId: reg.registrationId, registrationRecord: encodeBase64url(record), sealedKey: reg.sealedKey,
    });
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ type: 'urn:bkv:problem:bad-request', detail: 'registration record is not a valid opaque record' });
    await expectUnchanged(setup, { ...before });
  });

  it('a finish is single use: a replay is 409 registration-expired and keeps the generation', async () => {
    const account = 'replay-finish';
    const setup = await setUp(account);
    const reg = await startRegistration(setup.token, account, 'second password');
    const body = { registrationId: reg.registrationId, registrationRecord: reg.registrationRecord, sealedKey: reg.sealedKey };
    const first = await post(rt, '/v1/vault/registration/finish', setup.token, body);
    expect(first.status).toBe(201);
    expect(await json(first)).toMatchObject({ generation: 2 });
    const before = await status(setup.token);
    const replay = await post(rt, '/v1/vault/registration/finish', setup.token, body);
    expect(replay.status).toBe(409);
    expect(await json(replay)).toMatchObject({ type: 'urn:bkv:problem:registration-expired' });
    expect(await status(setup.token)).toEqual(before);
  });

  it('a finish after the registration lifetime, or for an older start, is refused and changes nothing', async () => {
    const account = 'expired-finish';
    const setup = await setUp(account);
    const before = await status(setup.token);
    const older = await startRegistration(setup.token, account, 'older');
    const newer = await startRegistration(setup.token, account, 'newer');
    const olderRes = await post(rt, '/v1/vault/registration/finish', setup.token, {
      registrationId: older.registrationId, registrationRecord: older.registrationRecord, sealedKey: older.sealedKey,
    });
    expect(olderRes.status).toBe(409);
    clock.advance(REGISTRATION_TTL_MS);
    const late = await post(rt, '/v1/vault/registration/finish', setup.token, {
      registrationId: newer.registrationId, registrationRecord: newer.registrationRecord, sealedKey: newer.sealedKey,
    });
    expect(late.status).toBe(409);
    await expectUnchanged(setup, before);
  });

  it('a registration id of another account does not finish here', async () => {
    const a = await setUp('reg-owner-a');
    const b = await setUp('reg-owner-b');
    const before = await status(b.token);
    const regA = await startRegistration(a.token, 'reg-owner-a', 'for a');
    const res = await post(rt, '/v1/vault/registration/finish', b.token, {
      registrationId: regA.registrationId, registrationRecord: regA.registrationRecord, sealedKey: regA.sealedKey,
    });
    expect(res.status).toBe(409);
    await expectUnchanged(b, before);
  });
});

describe('generations', () => {
  it('are never reused: DELETE then register continues the count, and a login of the old generation cannot finish', async () => {
    const account = 'aba';
    const setup = await setUp(account);
    expect((await status(setup.token)).generation).toBe(1);
    const { startLoginRequest } = await loginStartFor('the right password');
    const started = await json(await post(rt, '/v1/vault/login/start', setup.token, { startLoginRequest }));
    expect(typeof started.loginId).toBe('string');
    const del = await fetch(`${rt.url}/v1/vault`, { method: 'DELETE', headers: { authorization: `Bearer ${setup.token}` } });
    expect(del.status).toBe(204);
    expect(await status(setup.token)).toMatchObject({ registered: false, generation: 1 });
    const again = await rt.vaultClient(account);
    expect(await again.register(new Uint8Array(randomBytes(32)), 'new password')).toMatchObject({ generation: 2 });
    const finish = await post(rt, '/v1/vault/login/finish', setup.token, { loginId: started.loginId, finishLoginRequest: encodeBase64url(randomBytes(64)) });
    expect(finish.status).toBe(401);
    expect(await json(finish)).toMatchObject({ type: 'urn:bkv:problem:login-expired' });
    expect(await status(setup.token)).toMatchObject({ registered: true, generation: 2, attemptsRemaining: 10 });
  });
});
