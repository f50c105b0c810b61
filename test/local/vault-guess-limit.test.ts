// Invariants 2–4 over HTTP against the local runtime: the guess limit under 200 concurrent starts, crypto-
// shredding at the limit, single-use login finishes, expiry of unfinished logins.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../protocol/base64url.js';
import { ManualClock } from '../helpers/clock.js';
import { post, startTestRuntime, vaultStatus, type TestRuntime } from '../helpers/local.js';
import { loginFinishFor, loginStartFor } from '../helpers/opaque-client.js';

const MAX = 10;
const clock = new ManualClock(Date.now());
let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ maxAttempts: MAX, clock });
});
afterAll(async () => rt.stop());

async function setUp(account: string, password: string) {
  const client = await rt.vaultClient(account);
  const key = new Uint8Array(randomBytes(32));
  await client.register(key, password);
  return { client, key, token: await rt.token(account) };
}

const status = (token: string) => vaultStatus(rt, token);

describe('guess limit', () => {
  it('200 concurrent wrong-password starts: exactly maxAttempts answered, the rest 423, then the key is gone', async () => {
    const { client, token } = await setUp('concurrent', 'right password');
    const { startLoginRequest, clientLoginState } = await loginStartFor('wrong password');
    const responses = await Promise.all(Array.from({ length: 200 }, () => post(rt, '/v1/vault/login/start', token, { startLoginRequest })));
    const bodies = await Promise.all(responses.map((r) => r.json() as Promise<Record<string, unknown>>));
    const answered = responses.flatMap((r, i) => (r.status === 200 ? [bodies[i]!] : []));
    expect(answered).toHaveLength(MAX);
    expect(answered.map((b) => b.attemptsRemaining).sort()).toEqual(Array.from({ length: MAX }, (_, i) => i));
    for (const [i, r] of responses.entries()) {
      if (r.status === 200) continue;
      expect(r.status).toBe(423);
      expect(r.headers.get('content-type')).toBe('application/problem+json');
      expect(bodies[i]).toMatchObject({ type: 'urn:bkv:problem:locked', status: 423 });
    }
    // The wrong password fails on the client at KE2; the client reports it with a failing finish.
    const last = answered.find((b) => b.attemptsRemaining === 0)!;
    expect(loginFinishFor(clientLoginState, String(last.loginResponse), 'wrong password')).toBeUndefined();
    const abort = await post(rt, '/v1/vault/login/finish', token, { loginId: last.loginId, finishLoginRequest: encodeBase64url(randomBytes(64)) });
    expect(abort.status).toBe(423);
    expect(await status(token)).toMatchObject({ registered: true, locked: true, attemptsRemaining: 0 });
    await expect(client.recover('right password')).rejects.toMatchObject({ code: 'locked' });
  });

  it('an unfinished last login counts as failed: after it expires the next start destroys the key', async () => {
    const { client, token } = await setUp('expiry', 'pw');
    const { startLoginRequest } = await loginStartFor('guess');
    for (let i = 0; i < MAX; i++) expect((await post(rt, '/v1/vault/login/start', token, { startLoginRequest })).status).toBe(200);
    expect(await status(token)).toMatchObject({ locked: false, attemptsRemaining: 0 });
    expect((await post(rt, '/v1/vault/login/start', token, { startLoginRequest })).status).toBe(423);
    clock.advance(60_001);
    expect(await status(token)).toMatchObject({ locked: true });
    await expect(client.recover('pw')).rejects.toMatchObject({ code: 'locked' });
  });

  it('a finish after its 60 s is refused as expired and does not reset the count', async () => {
    const { token } = await setUp('late', 'pw');
    const start = await loginStartFor('pw');
    const res = await post(rt, '/v1/vault/login/start', token, { startLoginRequest: start.startLoginRequest });
    const body = (await res.json()) as { loginId: string; loginResponse: string };
    const finish = loginFinishFor(start.clientLoginState, body.loginResponse, 'pw')!;
    clock.advance(60_000);
    const late = await post(rt, '/v1/vault/login/finish', token, { loginId: body.loginId, finishLoginRequest: finish.finishLoginRequest });
    expect(late.status).toBe(401);
    expect(await late.json()).toMatchObject({ type: 'urn:bkv:problem:login-expired' });
    expect(await status(token)).toMatchObject({ attemptsRemaining: MAX - 1 });
  });
});

describe('single-use login finish', () => {
  it('a replayed successful finish is refused and does not reset the count', async () => {
    const { client, token } = await setUp('replay', 'pw');
    await expect(client.recover('nope')).rejects.toMatchObject({ code: 'wrong-password' });
    const start = await loginStartFor('pw');
    const started = (await (await post(rt, '/v1/vault/login/start', token, { startLoginRequest: start.startLoginRequest })).json()) as { loginId: string; loginResponse: string };
    const finish = loginFinishFor(start.clientLoginState, started.loginResponse, 'pw')!;
    const body = { loginId: started.loginId, finishLoginRequest: finish.finishLoginRequest };
    const ok = await post(rt, '/v1/vault/login/finish', token, body);
    expect(ok.status).toBe(200);
    expect(await status(token)).toMatchObject({ attemptsRemaining: MAX });

    await expect(client.recover('nope')).rejects.toMatchObject({ code: 'wrong-password' });
    const replay = await post(rt, '/v1/vault/login/finish', token, body);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ type: 'urn:bkv:problem:login-expired' });
    expect(await status(token)).toMatchObject({ attemptsRemaining: MAX - 1 });
  });

  it('a newer start replaces the pending login: the older one can no longer finish', async () => {
    const { token } = await setUp('replaced', 'pw');
    const first = await loginStartFor('pw');
    const a = (await (await post(rt, '/v1/vault/login/start', token, { startLoginRequest: first.startLoginRequest })).json()) as { loginId: string; loginResponse: string };
    await post(rt, '/v1/vault/login/start', token, { startLoginRequest: (await loginStartFor('pw')).startLoginRequest });
    const finish = loginFinishFor(first.clientLoginState, a.loginResponse, 'pw')!;
    const res = await post(rt, '/v1/vault/login/finish', token, { loginId: a.loginId, finishLoginRequest: finish.finishLoginRequest });
    expect(res.status).toBe(401);
    expect(await status(token)).toMatchObject({ attemptsRemaining: MAX - 2 });
  });
});
