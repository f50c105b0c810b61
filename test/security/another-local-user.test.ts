// Attacker: another Unix user of the machine that runs `npm start` (DESIGN.md §2 invariant 14). It can reach every
// loopback port (the API, the provider, the sign-in pages, any port a CLI listens on), read every command line in
// /proc, and sign up local accounts of its own; it cannot read the operator's data dir (0700) or home. It must get
// only the accounts it creates itself. docs/threat-model.md "The local runtime" lists each claim beside its test.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localTokenRequest, startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { cookieBrowser } from '../helpers/sign-in.js';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

/** An authorization request as the CLI sends it, to a loopback redirect. */
async function authorization(redirectUri = 'http://127.0.0.1:49999/callback') {
  const config = await oidc.discovery(new URL(rt.issuer), 'bkv-cli', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid offline_access bkv', prompt: 'consent', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  return { verifier, state, url, redirectUri };
}

const accountsFile = async () => JSON.parse(await readFile(join(rt.dataDir, 'accounts.json'), 'utf8').catch(() => '{}')) as Record<string, unknown>;
const STRONG = 'plover quince tundra mosaic 84';

describe('finding 1: account names are one namespace across sign-up and the operator\'s shortcut', () => {
  it('the README\'s default account `me` is reserved from the start: sign-up as `me` is refused, sign-in as `me` too', async () => {
    // The runtime just started; nobody has used the shortcut yet.
    const before = await accountsFile();
    await expect(cookieBrowser().authorize((await authorization()).url, 'me', STRONG, { signup: true })).rejects.toThrow(/login refused: 400/);
    await expect(cookieBrowser().authorize((await authorization()).url, 'me', STRONG)).rejects.toThrow(/login refused: 401/);
    expect(await accountsFile()).toEqual(before);
    expect(before.me).toMatchObject({ reserved: 'shortcut' });
  });

  it('a name the shortcut has used is reserved: sign-up cannot take it, and nothing signs in to it', async () => {
    const res = await localTokenRequest(rt.url, rt.dataDir, 'ops-nightly');
    expect(res.status).toBe(200);
    const before = await accountsFile();
    expect(before['ops-nightly']).toMatchObject({ reserved: 'shortcut' });
    await expect(cookieBrowser().authorize((await authorization()).url, 'ops-nightly', STRONG, { signup: true })).rejects.toThrow(/login refused: 400/);
    await expect(cookieBrowser().authorize((await authorization()).url, 'ops-nightly', '')).rejects.toThrow(/login refused/);
    expect(await accountsFile()).toEqual(before);
    // runtime.token() (the in-process shortcut of tests) reserves the same way
    await rt.token('ops-inprocess');
    expect((await accountsFile())['ops-inprocess']).toMatchObject({ reserved: 'shortcut' });
  });

  it('the shortcut does not reach an account someone signed up on the login page (409, nothing minted)', async () => {
    const back = await cookieBrowser().authorize((await authorization()).url, 'mallory', STRONG, { signup: true });
    expect(back.searchParams.get('code')).toBeTruthy();
    const before = await accountsFile();
    const res = await localTokenRequest(rt.url, rt.dataDir, 'mallory');
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ type: 'urn:bkv:problem:conflict', detail: expect.stringMatching(/sign-in page/) });
    expect(await accountsFile()).toEqual(before);
  });
});
