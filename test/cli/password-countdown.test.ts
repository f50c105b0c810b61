// Wrong passwords through the CLI (vault limit 3) on `bkv restore latest TARGET` from a new device: each failure
// says how many attempts remain (exit 3) and restores nothing; the last attempt is announced and not used by a
// script without --yes; spending it destroys the key, which is explained plainly (exit 4) and stays so for the
// right password; the right password restores the snapshot. `bkv passwd` counts like a restore.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bkv, newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let work: string;
beforeAll(async () => {
  rt = await startTestRuntime({ maxAttempts: 3 });
  work = await mkdtemp(join(tmpdir(), 'bkv-cli-pw-'));
});
afterAll(async () => {
  await rt.stop();
  await rm(work, { recursive: true, force: true });
  await removeDevices();
});

async function attemptsRemaining(account: string): Promise<{ attemptsRemaining: number; locked: boolean }> {
  const status = await (await rt.vaultClient(account)).status();
  return { attemptsRemaining: status.attemptsRemaining, locked: status.locked };
}

// strong enough for bkv init and passwd (protocol/password-strength.ts); the wrong ones are never checked
const RIGHT = 'amber-falcon-quiet-harbor';
const FRESH = 'a fresh start with tulips and lanterns';
const OLD = 'velvet-compass-drizzle-ozone';
const NEW = 'marble-tundra-gossip-lantern';

type Env = (home: string, extra?: Record<string, string>) => Record<string, string>;

async function setUp(account: string, password: string): Promise<Env & { home: string }> {
  const env = (home: string, extra: Record<string, string> = {}) => ({ BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: account, ...extra });
  const src = join(work, `${account}-src`);
  await mkdir(src);
  await writeFile(join(src, 'f.txt'), 'data');
  const home = await newDevice();
  expect((await bkv(['init'], env(home, { BKV_PASSWORD: password }))).code).toBe(0);
  expect((await bkv(['backup', src], env(home))).code).toBe(0);
  return Object.assign(env, { home });
}

describe('wrong-password countdown', { timeout: 300_000 }, () => {
  it('counts down, guards the last attempt, then explains the destroyed key', async () => {
    const env = await setUp('carol', RIGHT);
    const target = join(work, 'carol-out');

    const first = await bkv(['restore', 'latest', target], env(await newDevice(), { BKV_PASSWORD: 'wrong' }));
    expect(first.code).toBe(3);
    expect(first.stderr).toMatch(/^bkv: wrong password: 2 attempts left before the key is destroyed$/m);
    const second = await bkv(['restore', 'latest', target], env(await newDevice()), 'also wrong\n');
    expect(second.code).toBe(3);
    expect(second.stderr).toMatch(/^bkv: wrong password: 1 attempt left before the key is destroyed$/m);
    expect(await attemptsRemaining('carol')).toEqual({ attemptsRemaining: 1, locked: false });

    const status = await bkv(['status'], env(await newDevice()));
    expect(status.stdout).toMatch(/1 of 3 password attempts left \(the next wrong password destroys it\)/);

    // a script does not spend the last attempt by accident
    const guarded = await bkv(['restore', 'latest', target], env(await newDevice(), { BKV_PASSWORD: RIGHT }));
    expect(guarded.code).toBe(2);
    expect(guarded.stderr).toMatch(/warning: this is the last attempt\. a wrong password destroys the backup key in the vault for good\./);
    expect(guarded.stderr).toMatch(/bkv: one attempt left: not using it without --yes/);
    expect(await attemptsRemaining('carol')).toEqual({ attemptsRemaining: 1, locked: false });

    const last = await bkv(['restore', '--yes', 'latest', target], env(await newDevice(), { BKV_PASSWORD: 'wrong again' }));
    expect(last.code).toBe(4);
    expect(last.stderr).toMatch(/the vault destroyed the backup key of this account after too many wrong passwords/);
    expect(last.stderr).toMatch(/restored with the 64-digit key \(bkv restore --key\)/);
    expect(await attemptsRemaining('carol')).toEqual({ attemptsRemaining: 0, locked: true });

    const tooLate = await bkv(['restore', '--yes', 'latest', target], env(await newDevice(), { BKV_PASSWORD: RIGHT }));
    expect(tooLate.code).toBe(4);
    expect(tooLate.stderr).toMatch(/destroyed the backup key/);
    expect((await bkv(['status'], env(await newDevice()))).stdout).toMatch(/vault: {4}locked: the key was destroyed/);
    expect(existsSync(target)).toBe(false);

    // a device without K cannot put a key back; the device that made it still has K and can
    const nokey = await bkv(['passwd'], env(await newDevice(), { BKV_NEW_PASSWORD: 'x' }));
    expect(nokey.code).toBe(4);
    expect(nokey.stderr).toMatch(/this device has no copy: restore with the 64-digit key/);
    const passwd = await bkv(['passwd'], env(env.home), `${FRESH}\n`);
    expect(passwd.code, passwd.stderr).toBe(0);
    expect(passwd.stderr).toMatch(/the vault destroyed its copy of the key; this device has it/);
    expect(await attemptsRemaining('carol')).toEqual({ attemptsRemaining: 3, locked: false });
    const back = await bkv(['restore', 'latest', target], env(await newDevice(), { BKV_PASSWORD: FRESH }));
    expect(back.code, back.stderr).toBe(0);
    expect(await readFile(join(target, 'carol-src', 'f.txt'), 'utf8')).toBe('data');
  });

  it('a right password resets the count', async () => {
    const env = await setUp('dave', RIGHT);
    expect((await bkv(['restore', 'latest', join(work, 'dave-1')], env(await newDevice(), { BKV_PASSWORD: 'wrong' }))).code).toBe(3);
    expect((await attemptsRemaining('dave')).attemptsRemaining).toBe(2);
    expect(existsSync(join(work, 'dave-1'))).toBe(false);
    const ok = await bkv(['restore', 'latest', join(work, 'dave-2')], env(await newDevice(), { BKV_PASSWORD: RIGHT }));
    expect(ok.code, ok.stderr).toBe(0);
    expect(await readFile(join(work, 'dave-2', 'dave-src', 'f.txt'), 'utf8')).toBe('data');
    expect((await attemptsRemaining('dave')).attemptsRemaining).toBe(3);
  });

  it('passwd needs the current password, then only the new one works', async () => {
    const env = await setUp('erin', OLD);
    const home = await newDevice();
    const bad = await bkv(['passwd'], env(home, { BKV_PASSWORD: 'not it', BKV_NEW_PASSWORD: NEW }));
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/wrong password: 2 attempts left/);
    const changed = await bkv(['passwd'], env(home), `${OLD}\n${NEW}\n`);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stderr).toMatch(/password changed \(generation 2\); 3 attempts left/);
    expect((await bkv(['restore', 'latest', join(work, 'erin-1')], env(await newDevice(), { BKV_PASSWORD: OLD }))).code).toBe(3);
    const ok = await bkv(['restore', 'latest', join(work, 'erin-2')], env(await newDevice(), { BKV_PASSWORD: NEW }));
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('an account whose key is not in the vault says how else to restore', async () => {
    const env = (home: string, extra: Record<string, string> = {}) => ({ BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'frank', ...extra });
    const src = join(work, 'frank-src');
    await mkdir(src);
    await writeFile(join(src, 'f.txt'), 'data');
    const home = await newDevice();
    expect((await bkv(['init', '--key'], env(home))).code).toBe(0);
    expect((await bkv(['backup', src], env(home))).code).toBe(0);
    const r = await bkv(['restore', 'latest', join(work, 'frank-out')], env(await newDevice(), { BKV_PASSWORD: 'x' }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/account frank keeps no key in the vault: restore with the 64-digit key \(--key\)/);
    const none = await bkv(['restore', 'latest', join(work, 'gus-out')], { BKV_SERVER: rt.url, BKV_HOME: await newDevice(), BKV_ACCOUNT: 'gus', BKV_PASSWORD: 'x' });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/^bkv: account gus keeps no key in the vault: restore with the 64-digit key \(--key\)/m);
    expect(existsSync(join(work, 'gus-out'))).toBe(false);
  });
});
