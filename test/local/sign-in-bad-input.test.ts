// Bad input on the local provider, its login page, the scripts' shortcut and the CLI's loopback callback:
// each is refused with a clear message, and the SDK's sign-in stores nothing. (Forged, expired, wrong-audience
// and wrong-issuer tokens at the API are in test/helpers/tokens.ts, run by the vault and backups bad-input tests.)

import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../../client/auth/sign-in.js';
import { startLoopback } from '../../client/auth/loopback.js';
import { TokenStore } from '../../client/auth/token-store.js';
import { ClientError, isClientError } from '../../client/errors.js';
import { localTokenRequest, startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { cookieBrowser } from '../helpers/sign-in.js';
import { freePort } from '../../local/free-port.js';

let rt: TestRuntime;
let homes: string;
const USER = 'frida';
const PASSWORD = 'frida-local-password';

beforeAll(async () => {
  rt = await startTestRuntime();
  await rt.createAccount(USER, PASSWORD);
  homes = await mkdtemp(join(tmpdir(), 'bkv-signin-bad-'));
});
afterAll(async () => {
  await rt?.stop();
  await rm(homes, { recursive: true, force: true });
});

const store = async () => new TokenStore(await mkdtemp(join(homes, 'home-')));

/** An authorization request of the CLI's client, with its PKCE verifier and state, and a redirect URI. */
async function authorization(redirectUri = 'http://127.0.0.1:49999/callback') {
  const config = await oidc.discovery(new URL(rt.issuer), 'bkv-cli', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const params = {
    redirect_uri: redirectUri, scope: 'openid offline_access bkv', prompt: 'consent', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  };
  // pushed (RFC 9126), as the provider requires; `plain` is the same request in the browser's URL
  const url = await oidc.buildAuthorizationUrlWithPAR(config, params);
  return { config, verifier, state, url, redirectUri, plain: oidc.buildAuthorizationUrl(config, params) };
}

const tokenRequest = (params: Record<string, string>) => fetch(`${rt.issuer}/token`, {
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ client_id: 'bkv-cli', ...params }).toString(),
});

describe('the provider refuses', () => {
  it('a code exchanged with the wrong PKCE verifier (a stolen code is useless; its client can still redeem it)', async () => {
    const a = await authorization();
    const back = await cookieBrowser().authorize(a.url, USER, PASSWORD);
    const code = back.searchParams.get('code')!;
    const wrong = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: a.redirectUri, code_verifier: oidc.randomPKCECodeVerifier() });
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toEqual({ error: 'invalid_grant', error_description: 'grant request is invalid' });
    const right = await tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: a.redirectUri, code_verifier: a.verifier });
    expect(right.status).toBe(200); // oidc-provider does not spend a code on a failed PKCE check
  });

  it('a replayed code: the first exchange works, the second is invalid_grant', async () => {
    const a = await authorization();
    const back = await cookieBrowser().authorize(a.url, USER, PASSWORD);
    const params = { grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: a.redirectUri, code_verifier: a.verifier };
    expect((await tokenRequest(params)).status).toBe(200);
    const again = await tokenRequest(params);
    expect(again.status).toBe(400);
    expect(((await again.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('an authorization request without PKCE, with plain PKCE, or to a redirect that is not loopback, pushed or not', async () => {
    const a = await authorization();
    const par = (params: Record<string, string>) => fetch(`${rt.issuer}/request`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'bkv-cli', ...params }).toString(),
    });
    for (const [name, edit] of [
      ['no code_challenge', (u: URL) => { u.searchParams.delete('code_challenge'); u.searchParams.delete('code_challenge_method'); }],
      ['plain PKCE', (u: URL) => { u.searchParams.set('code_challenge_method', 'plain'); u.searchParams.set('code_challenge', 'x'.repeat(43)); }],
    ] as const) {
      const u = new URL(a.plain);
      edit(u);
      const res = await fetch(u, { redirect: 'manual' });
      const location = new URL(res.headers.get('location')!);
      expect(location.searchParams.get('error'), name).toBe('invalid_request');
      const pushed = await par(Object.fromEntries(u.searchParams));
      expect(pushed.status, name).toBe(400);
      expect(((await pushed.json()) as { error: string }).error, name).toBe('invalid_request');
    }
    const evil = new URL(a.plain);
    evil.searchParams.set('redirect_uri', 'http://evil.example/callback');
    const res = await fetch(evil, { redirect: 'manual' });
    expect(res.status).toBe(400); // not redirected anywhere: an unregistered redirect_uri is shown, not followed
    expect(await res.text()).toMatch(/redirect_uri/);
    const pushed = await par(Object.fromEntries(evil.searchParams));
    expect(pushed.status).toBe(400);
    expect(await pushed.json()).toMatchObject({ error: expect.stringMatching(/^invalid_(request|redirect_uri)$/), error_description: expect.stringMatching(/redirect_uri/) });
  });

  it('a wrong password, an unknown account, a taken or bad user name and a weak password on the login page', async () => {
    const a = await authorization();
    await expect(cookieBrowser().authorize(a.url, USER, 'not-the-password')).rejects.toThrow(/login refused: 401 .*Wrong user name or password/s);
    await expect(cookieBrowser().authorize((await authorization()).url, 'nobody', PASSWORD)).rejects.toThrow(/401 .*Wrong user name or password/s);
    // a taken name at sign-up answers as a wrong password does (test/security/another-local-user.test.ts)
    await expect(cookieBrowser().authorize((await authorization()).url, USER, 'another-password', { signup: true })).rejects.toThrow(/401 .*Wrong user name or password/s);
    await expect(cookieBrowser().authorize((await authorization()).url, 'new-user', 'short', { signup: true })).rejects.toThrow(/400 .*too easy to guess/s);
    await expect(cookieBrowser().authorize((await authorization()).url, 'bad name!', 'a fine long password 8812', { signup: true })).rejects.toThrow(/400 .*user names are 1-64/s);
  });

  it('a login page of another browser (no interaction cookie) or of an unknown sign-in', async () => {
    const a = await authorization();
    const mine = cookieBrowser();
    const first = await mine.request(a.url);
    const loginPage = new URL(first.headers.get('location')!, a.url);
    const other = await fetch(loginPage);
    expect(other.status).toBe(400);
    expect(await other.text()).toMatch(/unknown or has expired/);
    expect((await fetch(new URL('/local/login/not-a-real-uid', rt.url))).status).toBe(400);
  });

  it('the scripts\' shortcut without the data dir\'s secret, or with a wrong one', async () => {
    for (const secret of [false, 'wrong-secret-of-the-right-length-aaaaaaaaaaa'] as const) {
      const res = await localTokenRequest(rt.url, rt.dataDir, USER, { secret });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ type: 'urn:bkv:problem:invalid-token', detail: expect.stringMatching(/local-token-secret/) });
    }
  });
});

describe('the SDK\'s sign-in refuses, and stores nothing', () => {
  it('an answer whose state is not the one it sent (a forged or crossed callback)', async () => {
    const s = await store();
    const done = signIn({
      server: rt.url, store: s, timeoutMs: 20_000,
      openBrowser: async (url) => {
        const back = await cookieBrowser().authorize(url, USER, PASSWORD);
        back.searchParams.set('state', oidc.randomState());
        await fetch(back);
      },
    });
    const e = await done.catch((x: unknown) => x);
    expect(isClientError(e, 'sign-in')).toBe(true);
    expect((e as ClientError).message).toMatch(/sign-in failed: unexpected "state"/);
    expect(existsSync(s.path)).toBe(false);
  });

  it('an error answer from the provider (the user said no) and a code for another client\'s verifier', async () => {
    const s = await store();
    const denied = await signIn({
      server: rt.url, store: s, timeoutMs: 20_000,
      openBrowser: async (url) => {
        await fetch(await cookieBrowser().authorize(url, '', '', { cancel: true }));
      },
    }).catch((x: unknown) => x);
    expect(isClientError(denied, 'sign-in')).toBe(true);
    expect((denied as ClientError).message).toMatch(/refused by the identity provider \(access_denied: the sign-in was cancelled\)/);

    // A code obtained for another PKCE challenge, injected into this sign-in's callback with its own state.
    const other = await authorization();
    const injected = await signIn({
      server: rt.url, store: s, timeoutMs: 20_000,
      openBrowser: async (url) => {
        const theirs = await cookieBrowser().authorize(other.url, USER, PASSWORD);
        const mine = await cookieBrowser().authorize(url, USER, PASSWORD);
        mine.searchParams.set('code', theirs.searchParams.get('code')!);
        await fetch(mine);
      },
    }).catch((x: unknown) => x);
    expect((injected as ClientError).message).toMatch(/refused by the identity provider \(invalid_grant/);
    expect(existsSync(s.path)).toBe(false);
  });

  it('the loopback listener answers only GET /callback with a state, once; it binds 127.0.0.1', async () => {
    const lb = await startLoopback({ host: '127.0.0.1', ports: [], timeoutMs: 10_000 });
    try {
      const base = new URL(lb.redirectUri);
      expect(base.hostname).toBe('127.0.0.1');
      expect((await fetch(new URL('/favicon.ico', base))).status).toBe(404);
      expect((await fetch(base, { method: 'POST' })).status).toBe(404);
      expect((await fetch(base)).status).toBe(400); // no state
      expect((await fetch(`${lb.redirectUri}?code=c&state=s`)).status).toBe(200);
      expect((await fetch(`${lb.redirectUri}?code=c2&state=s2`)).status).toBe(409); // the first answer ended it
      expect((await lb.callback).searchParams.get('code')).toBe('c');
    } finally {
      await lb.close();
    }
  });

  it('fixed ports (Cognito): the next free one is used; all taken is a clear error', async () => {
    // Two ports free right now (not the product's 45817-45819, which another process on a shared machine may hold).
    const a = await freePort();
    let b = await freePort();
    while (b === a) b = await freePort();
    const first = await startLoopback({ host: 'localhost', ports: [a, b], timeoutMs: 10_000 });
    const second = await startLoopback({ host: 'localhost', ports: [a, b], timeoutMs: 10_000 });
    try {
      expect(first.redirectUri).toBe(`http://localhost:${a}/callback`);
      expect(second.redirectUri).toBe(`http://localhost:${b}/callback`);
      await expect(startLoopback({ host: 'localhost', ports: [a, b] })).rejects.toThrow(new RegExp(`ports ${a}, ${b} on 127\\.0\\.0\\.1 are all in use`));
    } finally {
      await first.close();
      await second.close();
    }
  });
});
