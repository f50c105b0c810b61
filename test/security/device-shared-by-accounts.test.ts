// Capability: the person who signs one device in as a second account (a shared laptop, a work and a home
// account). Bound: the second account's backups are only ever made under the second account's own K. A device
// keeps keys per server and account (client/device.ts); a backup, restore or init as erin on a device that holds
// alice's K refuses before anything reaches erin's repository (exit 2, README "Exit codes"), and erin fetches her
// own K with her password (`bkv key fetch`) without restoring anything; a key that does not open the account's
// repository is refused (exit 3) before it is kept or anything is uploaded. Issue 24 findings 1 and 5.

import { mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { device, objects, scratch, type Device } from '../cli/snapshot-trees.js';

let rt: TestRuntime;
let work: string;
let src: string;
let shared: string;
const ERIN_PASSWORD = 'velvet-compass-drizzle-ozone';

beforeAll(async () => {
  rt = await startTestRuntime();
  work = scratch('bkv-accounts-');
  src = join(work, 'src');
  mkdirSync(src);
  writeFileSync(join(src, 'erin.txt'), 'erin\'s own words\n');
  shared = await newDevice();
});
afterAll(async () => {
  await removeDevices();
  rmSync(work, { recursive: true, force: true });
  await rt?.stop();
});

const as = (account: string, home = shared): Device => device(rt, account, home);

describe('one device, two accounts', () => {
  it('signed in as erin on a device that holds alice\'s K, backup refuses before anything is uploaded', async () => {
    // erin made her own key elsewhere, kept in her vault; alice made hers on the shared device
    const erinPhone = as('erin', await newDevice());
    expect((await erinPhone.run(['init'], { BKV_PASSWORD: ERIN_PASSWORD })).code).toBe(0);
    const alice = await as('alice').run(['init', '--key']);
    expect(alice.code, alice.stderr).toBe(0);
    expect((await as('alice').run(['backup', src])).code).toBe(0);

    const r = await as('erin').run(['backup', src]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toBe(`bkv: this device has no backup key for erin at ${rt.url}: run bkv key fetch (the vault password) or bkv init\n`);
    expect(r.stdout).toBe('');
    expect(await objects(rt, 'erin', 'config')).toEqual([]);
    expect(await objects(rt, 'erin', 'data')).toEqual([]);
    const status = JSON.parse((await as('erin').run(['status', '--json'])).stdout) as { device: { hasKey: boolean } };
    expect(status.device.hasKey).toBe(false);
    for (const cmd of [['snapshots'], ['key', 'show']]) {
      const refused = await as('erin').run(cmd);
      expect(refused.code).toBe(2);
      expect(refused.stdout).toBe('');
    }
    // alice's key stays alice's
    expect((await as('alice').run(['key', 'show'])).stdout.trim()).toBe(alice.stdout.trim());
  });

  it('bkv key fetch puts erin\'s own K on the device with her password, without restoring anything', async () => {
    const before = readdirSync(work);
    const r = await as('erin').run(['key', 'fetch', '--json'], { BKV_PASSWORD: ERIN_PASSWORD });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ account: 'erin', server: rt.url, protection: 'password', fetched: true });
    expect(readdirSync(work)).toEqual(before);
    const erinKey = (await as('erin').run(['key', 'show'])).stdout.trim();
    expect(erinKey).not.toBe((await as('alice').run(['key', 'show'])).stdout.trim());
    const again = await as('erin').run(['key', 'fetch']);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/already keeps the backup key of erin/);
    // erin's backup is now under erin's K: a new device restores it with her password alone
    const b = await as('erin').run(['backup', src]);
    expect(b.code, b.stderr).toBe(0);
    const phone = as('erin', await newDevice());
    const target = join(work, 'restored');
    const restored = await phone.run(['restore', 'latest', target], { BKV_PASSWORD: ERIN_PASSWORD });
    expect(restored.code, restored.stderr).toBe(0);
    expect(readFileSync(join(target, 'src', 'erin.txt'), 'utf8')).toBe('erin\'s own words\n');
    rmSync(target, { recursive: true });
  });

  it('another account\'s key never enters erin\'s repository: key import refuses it, a backup with it refuses (exit 3)', async () => {
    const aliceKey = (await as('alice').run(['key', 'show'])).stdout;
    const fresh = as('erin', await newDevice());
    const imported = await fresh.run(['key', 'import'], {}, aliceKey);
    expect(imported.code, imported.stderr).toBe(3);
    expect(imported.stderr).toMatch(/^bkv: this key does not open the repository of erin \(it is under another backup key\): not kept on this device/);
    expect(readdirSync(fresh.home).filter((n) => n === 'keys')).toEqual([]);
    const keyFile = join(work, 'alice.key');
    writeFileSync(keyFile, aliceKey, { mode: 0o600 });
    const snapshots = await objects(rt, 'erin', 'snapshots');
    const data = await objects(rt, 'erin', 'data');
    const b = await fresh.run(['backup', '--key-file', keyFile, src]);
    expect(b.code).toBe(3);
    expect(b.stderr).toMatch(/repository is under another backup key/);
    expect(await objects(rt, 'erin', 'snapshots')).toEqual(snapshots);
    expect(await objects(rt, 'erin', 'data')).toEqual(data);
    // erin's own 64-digit key is taken
    const erinKey = (await as('erin').run(['key', 'show'])).stdout;
    const ok = await fresh.run(['key', 'import', '--json'], {}, erinKey);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ account: 'erin', protection: 'key', fetched: true });
  });

  it('an older bkv\'s one key belongs to the account that made it: erin never gets it', async () => {
    const old = await newDevice();
    const aliceKey = (await as('alice').run(['key', 'show'])).stdout.trim().replaceAll('-', '');
    writeFileSync(join(old, 'backup-key'), `${aliceKey}\n`, { mode: 0o600 });
    writeFileSync(join(old, 'config.json'), JSON.stringify({ server: rt.url, account: 'alice', protection: 'key' }));
    const data = await objects(rt, 'erin', 'data');
    const erin = await as('erin', old).run(['backup', src]);
    expect(erin.code).toBe(2);
    expect(await objects(rt, 'erin', 'data')).toEqual(data);
    const alice = await as('alice', old).run(['snapshots', '--json']);
    expect(alice.code, alice.stderr).toBe(0);
    expect(readdirSync(old)).not.toContain('backup-key');
  });
});
