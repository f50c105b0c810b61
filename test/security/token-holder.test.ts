// Attacker capability "token holder" and "relay that sees all traffic and holds the token" (docs/threat-model.md,
// invariant 2): the password-testable answers they obtain are exactly the counted login starts. The registration
// oracle (registration/start evaluating the OPRF under the live record's key) is tried as the review tried it:
// one counted KE2, then one registration start per guess, each guess checked offline against that KE2.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBase64url } from '../../protocol/base64url.js';
import { VaultClient } from '../../client/vault-client.js';
import { CHEAP_STRETCHING, post, startTestRuntime, vaultStatus, type TestRuntime } from '../helpers/local.js';
import { loginStartFor } from '../helpers/opaque-client.js';
import { ke2ConfirmsOwnGuess, probeWithRegistrationStart } from './attacker.js';

const MAX = 10;
const PASSWORD = 'tr0ub4dor&3';
const GUESSES = ['123456', 'password', 'letmein', PASSWORD, 'qwerty'];
let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ maxAttempts: MAX });
});
afterAll(async () => rt.stop());

async function victim(account: string) {
  const client = await rt.vaultClient(account);
  const key = new Uint8Array(randomBytes(32));
  await client.register(key, PASSWORD);
  return { client, key, token: await rt.token(account) };
}

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

const attemptsRemaining = async (token: string) => Number((await vaultStatus(rt, token)).attemptsRemaining);

function registrationStarter(token: string) {
  return async (registrationRequest: string): Promise<string> => {
    const res = await post(rt, '/v1/vault/registration/start', token, { registrationRequest });
    expect(res.status).toBe(200);
    return String((await json(res)).registrationResponse);
  };
}

describe('token holder', () => {
  it('one counted KE2 plus registration starts: only the counted guess is testable, the right password is not confirmed', async () => {
    const { token } = await victim('oracle-token-holder');
    const first = await loginStartFor('my first guess');
    const started = await json(await post(rt, '/v1/vault/login/start', token, { startLoginRequest: first.startLoginRequest }));
    const ke2 = String(started.loginResponse);
    expect(ke2ConfirmsOwnGuess(first.clientLoginState, ke2, 'my first guess')).toBe(false);
    let testable = 1; // the counted KE2 tests the guess it was made with
    await post(rt, '/v1/vault/login/finish', token, { loginId: started.loginId, finishLoginRequest: encodeBase64url(randomBytes(64)) });

    const confirmed: string[] = [];
    for (const guess of GUESSES) {
      if (await probeWithRegistrationStart(registrationStarter(token), guess, ke2)) confirmed.push(guess);
    }
    testable += confirmed.length;
    expect(confirmed).toEqual([]);
    expect(testable).toBe(1);
    expect(await attemptsRemaining(token)).toBe(MAX - 1);
  });

  it('the counted KE2 does test its own guess (the probe can tell a right password)', async () => {
    const { token } = await victim('oracle-control');
    const mine = await loginStartFor(PASSWORD);
    const started = await json(await post(rt, '/v1/vault/login/start', token, { startLoginRequest: mine.startLoginRequest }));
    expect(ke2ConfirmsOwnGuess(mine.clientLoginState, String(started.loginResponse), PASSWORD)).toBe(true);
    expect(ke2ConfirmsOwnGuess(mine.clientLoginState, String(started.loginResponse), 'wrong')).toBe(false);
  });

  it('registration start never evaluates the OPRF under the live key: the same blinded element gives another answer than KE2', async () => {
    const { token } = await victim('oracle-same-element');
    const { startLoginRequest } = await loginStartFor('any guess');
    const ke2 = String((await json(await post(rt, '/v1/vault/login/start', token, { startLoginRequest }))).loginResponse);
    // KE1 begins with the blinded element; a registration request is exactly that element.
    const blinded = encodeBase64url(Buffer.from(startLoginRequest, 'base64url').subarray(0, 32));
    const regResponse = await registrationStarter(token)(blinded);
    const evaluatedByRegistration = Buffer.from(regResponse, 'base64url').subarray(0, 32);
    const evaluatedByLogin = Buffer.from(ke2, 'base64url').subarray(0, 32);
    expect(evaluatedByRegistration.equals(evaluatedByLogin)).toBe(false);
    // Two registration starts for the same element differ too: every start draws a fresh credential identifier.
    const again = Buffer.from(await registrationStarter(token)(blinded), 'base64url').subarray(0, 32);
    expect(again.equals(evaluatedByRegistration)).toBe(false);
  });
});

describe('relay that sees all traffic and holds the token', () => {
  it('a legitimate login seen on the wire plus registration starts: zero testable guesses, no attempt spent', async () => {
    const { token } = await victim('oracle-relay');
    // The relay records the user's real login (its KE2) and lets it through.
    let seenKe2 = '';
    const relay: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (String(input).endsWith('/v1/vault/login/start')) seenKe2 = String((await res.clone().json() as Record<string, unknown>).loginResponse);
      return res;
    };
    await new VaultClient({ server: rt.url, token, keyStretching: CHEAP_STRETCHING, fetch: relay }).recover(PASSWORD);
    expect(seenKe2).not.toBe('');
    const confirmed: string[] = [];
    for (const guess of GUESSES) {
      if (await probeWithRegistrationStart(registrationStarter(token), guess, seenKe2)) confirmed.push(guess);
    }
    expect(confirmed).toEqual([]);
    expect(await attemptsRemaining(token)).toBe(MAX);
  });
});
