// Attacker: another Unix user of the machine that runs `npm start` (docs/threat-model.md invariant 14). It can reach every
// loopback port (the API, the provider, the sign-in pages, any port a CLI listens on), read every command line in
// /proc, and sign up local accounts of its own; it cannot read the operator's data dir (0700) or home. It must get
// only the accounts it creates itself. docs/threat-model.md "The local runtime" lists each claim beside its test.

import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn } from '../../client/auth/sign-in.js';
import { TokenStore } from '../../client/auth/token-store.js';
import { ClientError, isClientError } from '../../client/errors.js';
import { bkv, newDevice, removeDevices, spawnBkv } from '../helpers/cli.js';
import { localTokenRequest, startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { cookieBrowser, type BrowserLike } from '../helpers/sign-in.js';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
  await removeDevices();
});

const VICTIM_PORT = 49999;
const ATTACKER_PORT = 49998;

/** An authorization request as the CLI sends it (pushed, RFC 9126), to a loopback redirect on `port`. */
async function authorization(port = VICTIM_PORT, pushed = true) {
  const config = await oidc.discovery(new URL(rt.issuer), 'bkv-cli', undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const params = {
    redirect_uri: redirectUri, scope: 'openid offline_access bkv', prompt: 'consent', state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  };
  const url = pushed ? await oidc.buildAuthorizationUrlWithPAR(config, params) : oidc.buildAuthorizationUrl(config, params);
  return { config, verifier, state, url, redirectUri };
}

/**
 * What a browser shows for `url` without a person acting: it follows the provider's redirects and stops at the
 * first page (a 200 or an error) or at the first redirect that leaves the runtime (a loopback callback).
 */
async function visit(browser: BrowserLike, url: URL): Promise<{ page?: { url: URL; status: number; html: string }; leaves?: URL }> {
  for (let hop = 0; hop < 12; hop++) {
    const res = await browser.request(url);
    const location = res.headers.get('location');
    if (!location) return { page: { url, status: res.status, html: await res.text() } };
    await res.arrayBuffer();
    const next = new URL(location, url);
    if (next.origin !== new URL(rt.url).origin) return { leaves: next };
    url = next;
  }
  throw new Error('too many redirects');
}

const accountsFile = async () => JSON.parse(await readFile(join(rt.dataDir, 'accounts.json'), 'utf8').catch(() => '{}')) as Record<string, unknown>;
const STRONG = 'plover quince tundra mosaic 84';

describe('finding 1: account names are one namespace across sign-up and the operator\'s shortcut', () => {
  it('the README\'s default account `me` is reserved from the start: sign-up as `me` is refused, sign-in as `me` too', async () => {
    // The runtime just started; nobody has used the shortcut yet.
    const before = await accountsFile();
    await expect(cookieBrowser().authorize((await authorization()).url, 'me', STRONG, { signup: true })).rejects.toThrow(/login refused: 401 .*Wrong user name or password/s);
    await expect(cookieBrowser().authorize((await authorization()).url, 'me', STRONG)).rejects.toThrow(/login refused: 401/);
    expect(await accountsFile()).toEqual(before);
    expect(before.me).toMatchObject({ reserved: 'shortcut' });
  });

  it('a name the shortcut has used is reserved: sign-up cannot take it, and nothing signs in to it', async () => {
    const res = await localTokenRequest(rt.url, rt.dataDir, 'ops-nightly');
    expect(res.status).toBe(200);
    const before = await accountsFile();
    expect(before['ops-nightly']).toMatchObject({ reserved: 'shortcut' });
    await expect(cookieBrowser().authorize((await authorization()).url, 'ops-nightly', STRONG, { signup: true })).rejects.toThrow(/login refused: 401 .*Wrong user name or password/s);
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
    // the CLI's shortcut (BKV_LOCAL_SECRET_FILE --account) says why and changes nothing
    const home = await newDevice();
    const cli = await bkv(['status', '--account', 'mallory'], { BKV_SERVER: rt.url, BKV_HOME: home, BKV_LOCAL_SECRET_FILE: rt.tokenSecretFile });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/cannot get a token for account mallory \(409\): mallory was created on the sign-in page/);
    expect(await accountsFile()).toEqual(before);
  });
});

describe('finding 2: no code and no session reaches a loopback port the flow did not start', () => {
  it('a browser that signed in before is shown a page naming the other port, never redirected there with a code', async () => {
    const victim = cookieBrowser();
    const own = await victim.authorize((await authorization()).url, 'victim2', STRONG, { signup: true });
    expect(own.port).toBe(String(VICTIM_PORT));
    // Later, the same browser opens a link: an authorization request another user pushed, to its own port.
    const theirs = await authorization(ATTACKER_PORT);
    const seen = await visit(victim, theirs.url);
    expect(seen.leaves?.searchParams.get('code') ?? null).toBeNull();
    expect(seen.page?.status).toBe(200);
    expect(seen.page?.html).toMatch(new RegExp(`port ${ATTACKER_PORT}`));
    expect(seen.page?.html).toMatch(/id="password"/);
  });

  it('a copy of every cookie of a signed-in browser (what a listener on another port receives) mints nothing, also after sign-out', async () => {
    const victim = cookieBrowser();
    const a = await authorization();
    const back = await victim.authorize(a.url, 'victim3', STRONG, { signup: true });
    // The provider keeps no session once the flow answered its client.
    const sessions = JSON.parse(await readFile(join(rt.dataDir, 'oidc', 'Session.json'), 'utf8').catch(() => '{}')) as Record<string, { payload: { accountId?: string } }>;
    expect(Object.values(sessions).filter((e) => e.payload.accountId === 'victim3')).toEqual([]);
    // The copy: every cookie the victim's browser holds for 127.0.0.1, whatever its path (cookies ignore ports).
    const copied = victim.cookies();
    expect(copied.size).toBeGreaterThan(0);
    const thief = cookieBrowser(copied);
    const seen = await visit(thief, (await authorization(ATTACKER_PORT)).url);
    expect(seen.leaves?.searchParams.get('code') ?? null).toBeNull();
    expect(seen.page?.html).toMatch(/id="password"/);
    // the victim signs out (the CLI revokes its refresh token): the copy still mints nothing
    const tokens = await oidc.authorizationCodeGrant(a.config, back, { pkceCodeVerifier: a.verifier, expectedState: a.state });
    await oidc.tokenRevocation(a.config, tokens.refresh_token!, { token_type_hint: 'refresh_token' });
    const after = await visit(cookieBrowser(copied), (await authorization(ATTACKER_PORT)).url);
    expect(after.leaves?.searchParams.get('code') ?? null).toBeNull();
    expect(after.page?.html).toMatch(/id="password"/);
  });

  it('an authorization request that was not pushed is refused; the pushed request\'s port cannot be changed in the browser', async () => {
    const plain = await authorization(ATTACKER_PORT, false);
    const seen = await visit(cookieBrowser(), plain.url);
    expect(seen.leaves?.searchParams.get('code') ?? null).toBeNull();
    expect(seen.leaves?.searchParams.get('error') ?? seen.page?.status).toBeTruthy();
    expect(seen.page?.html ?? '').not.toMatch(/id="password"/);

    const pushed = await authorization(VICTIM_PORT);
    const bent = new URL(pushed.url);
    bent.searchParams.set('redirect_uri', `http://127.0.0.1:${ATTACKER_PORT}/callback`);
    const browser = cookieBrowser();
    const shown = await visit(browser, bent);
    if (shown.page?.status === 200) {
      expect(shown.page.html).toMatch(new RegExp(`port ${VICTIM_PORT}`));
      const back = await browser.authorize(bent, 'victim4', STRONG, { signup: true });
      expect(back.port).toBe(String(VICTIM_PORT));
    } else {
      expect(shown.leaves?.port ?? '').not.toBe(String(ATTACKER_PORT));
    }
  });
});

describe('finding 3: nothing usable on a command line; a flow completed into another account is refused', () => {
  it('bkv login hands the browser a private file (0600 in a 0700 dir), never the authorization URL, state, challenge or port', async () => {
    const work = await mkdtemp(join(tmpdir(), 'bkv-browser-'));
    const log = join(work, 'argv.log');
    const fake = join(work, 'browser.sh');
    // what any user sees in /proc/<pid>/cmdline of the browser, and what only the user can read
    await writeFile(fake, '#!/bin/sh\np="${1#file://}"\n{ printf "%s\\n" "$@"; echo ---; stat -c %a "$p"; stat -c %a "$(dirname "$p")"; cat "$p"; } > "$FAKE_BROWSER_LOG.tmp" 2>&1\nmv "$FAKE_BROWSER_LOG.tmp" "$FAKE_BROWSER_LOG"\n');
    await chmod(fake, 0o755);
    const child = spawnBkv(['login'], { BKV_SERVER: rt.url, BKV_HOME: await newDevice(), BROWSER: fake, FAKE_BROWSER_LOG: log });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    try {
      for (let i = 0; i < 200 && !existsSync(log); i++) await new Promise((r) => setTimeout(r, 100));
      const [argv, rest] = (await readFile(log, 'utf8')).split('\n---\n');
      for (const secret of ['request_uri', 'state', 'code_challenge', '/oidc/', 'callback']) expect(argv).not.toContain(secret);
      expect(argv).toMatch(/^file:\/\/\/\S+\.html$/);
      const port = /waiting for the browser on port (\d+)/.exec(stderr)?.[1];
      expect(port).toMatch(/^\d+$/);
      expect(argv).not.toContain(port);
      const [fileMode, dirMode, ...page] = rest!.split('\n');
      expect([fileMode, dirMode]).toEqual(['600', '700']);
      expect(page.join('\n')).toMatch(/http:\/\/127\.0\.0\.1:\d+\/oidc\/auth\?[^"]*request_uri=/);
    } finally {
      child.kill('SIGTERM');
      await rm(work, { recursive: true, force: true });
    }
  });

  it('a sign-in another user completed into their own account is refused when the person named the account; nothing is stored', async () => {
    const home = await mkdtemp(join(tmpdir(), 'bkv-victim-'));
    const store = new TokenStore(home);
    try {
      const e = await signIn({
        server: rt.url, store, expectSubject: 'victim5', timeoutMs: 20_000,
        // the attacker got to the flow first and signed in as herself
        openBrowser: async (url) => {
          await fetch(await cookieBrowser().authorize(url, 'mallory5', STRONG, { signup: true }));
        },
      }).catch((x: unknown) => x);
      expect(isClientError(e, 'sign-in')).toBe(true);
      expect((e as ClientError).message).toMatch(/signed in mallory5, not victim5: nothing was stored/);
      expect(existsSync(store.path)).toBe(false);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('finding 6: local passwords cannot be guessed without limit; sign-up takes no weak password and is no name oracle', () => {
  /** A login page of a fresh flow in `browser`, and a poster of its forms. */
  async function loginForm(browser = cookieBrowser()) {
    const seen = await visit(browser, (await authorization()).url);
    const pageUrl = seen.page!.url;
    return async (action: 'login' | 'signup', username: string, password: string, localAddress?: string): Promise<{ status: number; text(): Promise<string> }> => {
      const url = new URL(`${pageUrl.pathname}/${action}`, pageUrl);
      const body = new URLSearchParams({ username, password }).toString();
      if (!localAddress) return browser.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      // the same browser's request, sent from another loopback source address
      const cookie = [...browser.cookies()].map(([k, c]) => `${k}=${c.value}`).join('; ');
      return new Promise((resolve, reject) => {
        const req = httpRequest(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie } }, (res) => {
          let text = '';
          res.setEncoding('utf8').on('data', (d: string) => (text += d)).on('end', () => resolve({ status: res.statusCode!, text: async () => text }));
        });
        req.once('error', reject);
        req.end(body);
      });
    };
  }

  it.for(['12345678', 'password1', 'qwertyuiop'])('sign-up refuses %s by the vault\'s strength rules and creates nothing', async (weak) => {
    const before = await accountsFile();
    const res = await (await loginForm())('signup', `weakling-${weak}`, weak);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/too easy to guess/);
    expect(await accountsFile()).toEqual(before);
  });

  it('sign-up of a taken or reserved name answers exactly what a wrong password answers; with its password it signs in', async () => {
    await rt.createAccount('holder6', STRONG);
    const wrongLogin = await (await loginForm())('login', 'holder6', 'not the password at all 77');
    const wrongText = (await wrongLogin.text()).replace(/\/local\/login\/[A-Za-z0-9_-]+/g, '');
    for (const name of ['holder6', 'me']) {
      const before = await accountsFile();
      const res = await (await loginForm())('signup', name, 'another strong password 9431');
      expect(res.status, name).toBe(wrongLogin.status);
      const text = (await res.text()).replace(/\/local\/login\/[A-Za-z0-9_-]+/g, '');
      expect(text, text).not.toMatch(/taken|exists|reserved/i);
      expect(text).toMatch(/Wrong user name or password/);
      expect(await accountsFile()).toEqual(before);
    }
    expect(wrongText).toMatch(/Wrong user name or password/);
    const back = await cookieBrowser().authorize((await authorization()).url, 'holder6', STRONG, { signup: true });
    expect(back.searchParams.get('code')).toBeTruthy();
  });
  it('wrong passwords for one account: a few are checked, then every try is refused unchecked (429), the right one too', async () => {
    await rt.createAccount('victim6', STRONG);
    const post = await loginForm();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await post('login', 'victim6', `guess-${i}`)).status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.slice(-5)).toEqual([429, 429, 429, 429, 429]);
    const right = await post('login', 'victim6', STRONG);
    expect(right.status).toBe(429);
    expect(await right.text()).toMatch(/too many failed sign-ins/i);
    // a fresh flow (another interaction) does not start the count again
    expect((await (await loginForm())('login', 'victim6', 'guess-again')).status).toBe(429);
  });

  it('wrong passwords spread over many names from one client are throttled too (and from other loopback addresses)', async () => {
    const post = await loginForm();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await post('login', `spray-${i}`, `guess-${i}`)).status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(20);
    expect(statuses.at(-1)).toBe(429);
    // another loopback source address is the same client
    const form = await loginForm();
    expect((await form('login', 'spray-fresh', 'guess', '127.0.0.2')).status).toBe(429);
    expect((await form('login', 'spray-fresh', 'guess', '127.3.4.5')).status).toBe(429);
  });

});
