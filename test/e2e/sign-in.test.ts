// Issue 12's must-show, in a real browser: headless Debian Chromium (playwright-core, never a downloaded browser)
// completes `bkv login` against the local runtime's OpenID provider (sign-up on its login page, PKCE, loopback
// redirect), then `bkv backup` and `bkv restore` work with the stored tokens; with access tokens living 2 s, a
// backup that outlives its token completes through a refresh between its create and its complete; `bkv logout`
// revokes (the provider refuses the old refresh token) and the next command fails with "sign in" and exit 1.
// Every sign-in shows the login page naming the CLI's loopback port (the one its terminal prints), also in a
// browser that signed in before (test/security/another-local-user.test.ts has the attacker's side); the private
// file:// page bkv login hands a browser instead of the URL leads Chromium to the sign-in.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bkv, newDevice, removeDevices, spawnBkv } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

const CHROMIUM = '/usr/bin/chromium';
const ACCESS_TTL_S = 2;

let rt: TestRuntime;
let browser: BrowserContext;
let work: string;
let profile: string;
/** Route outcomes and refresh grants, in the order the runtime saw them. */
const seen: string[] = [];
const SLOW_UPLOADS_MS = 700;
let slow = false;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  rt = await startTestRuntime({ accessTokenTtlSeconds: ACCESS_TTL_S, observe: (o) => {
    seen.push(o.route);
    // holds the runtime (in this process) so a backup outlives its 2-second access token whatever the machine's speed
    if (o.route === 'repo.uploads' && slow) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SLOW_UPLOADS_MS);
  } });
  rt.provider.on('grant.success', (ctx) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token') seen.push('refresh');
  });
  work = await mkdtemp(join(tmpdir(), 'bkv-signin-'));
  profile = join(work, 'profile');
  // A fresh --user-data-dir (playwright passes it for a persistent context), no sandbox (CI runs as root).
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await rt?.stop();
  await removeDevices();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs `bkv login` with BROWSER=none and plays the user in Chromium on the URL it prints. */
async function login(home: string, user: string, password: string, signup: boolean, args: string[] = []) {
  const child = spawnBkv(['login', ...args], { BKV_SERVER: rt.url, BKV_HOME: home, BROWSER: 'none' });
  let stderr = '';
  let stdout = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/oidc\/auth\?\S+)/.exec(stderr);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', () => reject(new Error(`bkv login exited early: ${stderr}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const port = /waiting for the browser on port (\d+)/.exec(stderr)?.[1];
  expect(port).toMatch(/^\d+$/);
  const page = await browser.newPage();
  await page.goto(url);
  // the person sees which port the code will go to, the same as the terminal says, and types the password every time
  expect(await page.textContent('#asker')).toContain(`port ${port}`);
  if (signup) await page.click('#signup');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#submit');
  await page.waitForURL(/127\.0\.0\.1:\d+\/callback\?/);
  const shown = await page.textContent('h1');
  await page.close();
  return { code: await exit, stdout, stderr, shown };
}

describe('bkv login in a real browser, then backup and restore with the stored tokens', () => {
  let home: string;
  const source = () => join(work, 'source');

  it('signs up and in on the provider\'s page; tokens are kept 0600 in $BKV_HOME and never printed', async () => {
    home = await newDevice();
    const r = await login(home, 'erin', 'erin-local-password', true);
    expect(r.shown).toBe('Signed in');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/signed in to http:\/\/127\.0\.0\.1:\d+ as erin, renewed automatically/);
    const file = join(home, 'sign-in.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { servers: Record<string, { bearer: string; refreshToken: string; subject: string }> };
    const entry = stored.servers[rt.url]!;
    expect(entry.subject).toBe('erin');
    expect(entry.refreshToken.length).toBeGreaterThan(20);
    for (const secret of [entry.bearer, entry.refreshToken]) {
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
  }, 90_000);

  it('bkv status says who is signed in and until when; backup and restore succeed with the stored tokens', async () => {
    const status = await bkv(['status'], { BKV_SERVER: rt.url, BKV_HOME: home });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/account: {2}erin/);
    expect(status.stdout).toMatch(/signed in: erin, renewed automatically until you sign out/);
    expect((await bkv(['init', '--key'], { BKV_SERVER: rt.url, BKV_HOME: home })).code).toBe(0);
    await mkdir(source(), { recursive: true });
    await writeFile(join(source(), 'note.txt'), 'hello from erin');
    const backup = await bkv(['backup', source()], { BKV_SERVER: rt.url, BKV_HOME: home });
    expect(backup.code, backup.stderr).toBe(0);
    const target = join(work, 'restored');
    const restore = await bkv(['restore', 'latest', target], { BKV_SERVER: rt.url, BKV_HOME: home });
    expect(restore.code, restore.stderr).toBe(0);
    expect(await readFile(join(target, basename(source()), 'note.txt'), 'utf8')).toBe('hello from erin');
  }, 120_000);

  it('a backup that outlives its access token completes through a refresh in the middle', async () => {
    await writeFile(join(source(), 'big.bin'), randomBytes(48 * 1024 * 1024));
    seen.length = 0;
    const started = Date.now();
    slow = true;
    const backup = await bkv(['backup', source()], { BKV_SERVER: rt.url, BKV_HOME: home }).finally(() => (slow = false));
    expect(backup.code, backup.stderr).toBe(0);
    // from the backup's lock to its last upload (the snapshot): a refresh must have happened in between
    const create = seen.indexOf('repo.lock');
    const complete = seen.lastIndexOf('repo.uploads');
    expect(create).toBeGreaterThanOrEqual(0);
    expect(complete).toBeGreaterThan(create);
    // Only meaningful when the backup took longer than the token lives: every upload-URL request is held
    // SLOW_UPLOADS_MS by the runtime (below), and a 48 MiB file takes at least 4 of them.
    expect(Date.now() - started).toBeGreaterThan(ACCESS_TTL_S * 1000);
    expect(seen.slice(create, complete)).toContain('refresh');
  }, 180_000);

  it('a second bkv login in the same browser asks for the password again; --account refuses another account and stores nothing', async () => {
    const other = await newDevice();
    const again = await login(other, 'erin', 'erin-local-password', false);
    expect(again.code).toBe(0);
    const refusedHome = await newDevice();
    const refused = await login(refusedHome, 'erin', 'erin-local-password', false, ['--account', 'frank']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/the provider signed in erin, not frank: nothing was stored/);
    expect(existsSync(join(refusedHome, 'sign-in.json'))).toBe(false);
  }, 120_000);

  it('the private page bkv login gives the browser (a 0600 file, not the URL on a command line) leads Chromium to the sign-in', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bkv-fake-browser-'));
    const log = join(dir, 'argv');
    const fake = join(dir, 'browser.sh');
    await writeFile(fake, '#!/bin/sh\nprintf "%s" "$1" > "$FAKE_BROWSER_LOG.tmp" && mv "$FAKE_BROWSER_LOG.tmp" "$FAKE_BROWSER_LOG"\n', { mode: 0o755 });
    const other = await newDevice();
    const child = spawnBkv(['login'], { BKV_SERVER: rt.url, BKV_HOME: other, BROWSER: fake, FAKE_BROWSER_LOG: log });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 200 && !existsSync(log); i++) await new Promise((r) => setTimeout(r, 100));
      const fileUrl = await readFile(log, 'utf8');
      expect(fileUrl).toMatch(/^file:\/\/\/\S+\.html$/);
      const page = await browser.newPage();
      await page.goto(fileUrl);
      await page.waitForURL(/127\.0\.0\.1:\d+\/local\/login\//);
      await page.fill('#username', 'erin');
      await page.fill('#password', 'erin-local-password');
      await page.click('#submit');
      await page.waitForURL(/127\.0\.0\.1:\d+\/callback\?/);
      await page.close();
      expect(await exit).toBe(0);
      // the page is gone once the sign-in ended
      expect(existsSync(new URL(fileUrl).pathname)).toBe(false);
    } finally {
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('bkv logout revokes; the next command fails with "sign in" and exit 1; the old refresh token is refused', async () => {
    const file = join(home, 'sign-in.json');
    const { refreshToken } = (JSON.parse(await readFile(file, 'utf8')) as { servers: Record<string, { refreshToken: string }> }).servers[rt.url]!;
    const out = await bkv(['logout'], { BKV_SERVER: rt.url, BKV_HOME: home });
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/signed out of .* \(erin\): the identity provider revoked the refresh token/);
    expect(existsSync(file)).toBe(false);

    const next = await bkv(['backup', source()], { BKV_SERVER: rt.url, BKV_HOME: home });
    expect(next.code).toBe(1);
    expect(next.stderr).toMatch(/not signed in to http:\/\/127\.0\.0\.1:\d+: sign in with bkv login --server/);
    const status = await bkv(['status'], { BKV_SERVER: rt.url, BKV_HOME: home });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/signed in: no/);

    const refused = await fetch(`${rt.issuer}/token`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'bkv-cli' }).toString(),
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_grant');
  }, 120_000);
});
