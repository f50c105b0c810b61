// The `bkv` CLI end to end against a local runtime: init behind a password, back up, restore byte for byte on a
// new device with only the password (the device then keeps K, mode 0600), the 64-digit key path, a wrong key,
// and outputs that never contain the password or the token.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bkv, newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let work: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  work = await mkdtemp(join(tmpdir(), 'bkv-cli-'));
});
afterAll(async () => {
  await rt.stop();
  await rm(work, { recursive: true, force: true });
  await removeDevices();
});

async function sampleTree(root: string): Promise<void> {
  await mkdir(join(root, 'photos/2024'), { recursive: true });
  await writeFile(join(root, 'notes.txt'), 'remember the milk\n');
  await writeFile(join(root, 'photos/2024/cat.jpg'), randomBytes(300_000));
  await writeFile(join(root, 'photos/big.raw'), randomBytes(9 * 1024 * 1024 + 5)); // two parts
  await symlink('2024/cat.jpg', join(root, 'photos/latest.jpg'));
}

async function tree(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of (await readdir(join(root, rel), { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(`${path}/`, ...(await tree(root, path)));
    else if (d.isSymbolicLink()) out.push(`${path} -> link`);
    else out.push(`${path} ${(await readFile(join(root, path))).toString('base64').slice(0, 64)} ${(await stat(join(root, path))).size}`);
  }
  return out;
}

describe('bkv with a password', { timeout: 300_000 }, () => {
  const password = 'correct horse battery staple';

  it('backs up, then restores on a new device with only the password', async () => {
    const src = join(work, 'src');
    await sampleTree(src);
    const env = (home: string, extra: Record<string, string> = {}) => ({ BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'alice', ...extra });
    const laptop = await newDevice();

    const init = await bkv(['init'], env(laptop, { BKV_PASSWORD: password }));
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/kept in the vault behind your password/);
    expect((await stat(join(laptop, 'backup-key'))).mode & 0o777).toBe(0o600);
    expect((await stat(laptop)).mode & 0o777).toBe(0o700);

    const backup = await bkv(['backup', src], env(laptop));
    expect(backup.code, backup.stderr).toBe(0);
    const backupId = backup.stdout.trim();
    expect(backupId).toMatch(/^[0-9a-z]{26}$/);
    expect(backup.stderr).toMatch(/upload: 100%/);

    const status = await bkv(['status', '--json'], env(laptop));
    expect(status.code, status.stderr).toBe(0);
    const parsed = JSON.parse(status.stdout) as { account: string; vault: { attemptsRemaining: number }; backups: { backupId: string }[]; device: { hasKey: boolean } };
    expect(parsed).toMatchObject({ account: 'alice', vault: { registered: true, locked: false, attemptsRemaining: 10 }, device: { hasKey: true } });
    expect(parsed.backups.map((b) => b.backupId)).toEqual([backupId]);

    // a new device: no key, only the password
    const phone = await newDevice();
    const out = join(work, 'restored');
    const restore = await bkv(['restore', out], env(phone), `${password}\n`);
    expect(restore.code, restore.stderr).toBe(0);
    expect(restore.stderr).toMatch(/fetching it from the vault with your password/);
    expect(await tree(out)).toEqual(await tree(src));
    expect((await stat(join(phone, 'backup-key'))).mode & 0o777).toBe(0o600);
    // both devices now hold the same K
    const k1 = await bkv(['key', 'show'], env(laptop));
    const k2 = await bkv(['key', 'show'], env(phone));
    expect(k1.stdout).toMatch(/^([0-9a-f]{4}-){15}[0-9a-f]{4}\n$/);
    expect(k2.stdout).toBe(k1.stdout);

    // the second device backs up too, and the first restores that exact backup by id
    await writeFile(join(out, 'notes.txt'), 'edited on the phone\n');
    const second = await bkv(['backup', out], env(phone));
    expect(second.code, second.stderr).toBe(0);
    const again = join(work, 'again');
    const byId = await bkv(['restore', '--backup', second.stdout.trim(), again], env(laptop));
    expect(byId.code, byId.stderr).toBe(0);
    expect(await readFile(join(again, 'notes.txt'), 'utf8')).toBe('edited on the phone\n');

    const token = await rt.token('alice');
    for (const r of [init, backup, status, restore, second, byId]) {
      expect(r.stdout + r.stderr).not.toContain(password);
      expect(r.stdout + r.stderr).not.toContain(token.split('.')[2]!);
      expect(r.stdout + r.stderr).not.toContain(k1.stdout.trim());
    }
  });

  it('refuses to restore into a non-empty directory without --force, before asking anything', async () => {
    const home = await newDevice();
    const target = join(work, 'busy');
    await mkdir(target);
    await writeFile(join(target, 'mine.txt'), 'keep');
    const r = await bkv(['restore', target], { BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'alice' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not empty \(use --force/);
    const status = await bkv(['status', '--json'], { BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'alice' });
    expect(JSON.parse(status.stdout).vault.attemptsRemaining).toBe(10);
  });

  it('backup without a key on the device says what to do', async () => {
    const r = await bkv(['backup', work], { BKV_SERVER: rt.url, BKV_HOME: await newDevice(), BKV_ACCOUNT: 'nobody' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('bkv: this device has no backup key: run bkv init, or bkv restore to fetch it from the vault\n');
  });
});

describe('bkv with the 64-digit key', { timeout: 300_000 }, () => {
  it('prints the key once, and a new device restores with it; a wrong key restores nothing', async () => {
    const src = join(work, 'keysrc');
    await mkdir(src);
    await writeFile(join(src, 'a.txt'), 'alpha');
    const env = (home: string, extra: Record<string, string> = {}) => ({ BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'bob', ...extra });
    const home = await newDevice();
    const init = await bkv(['init', '--key'], env(home));
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toMatch(/write it down/);
    const key = init.stdout.trim();
    expect(key).toMatch(/^([0-9a-f]{4}-){15}[0-9a-f]{4}$/);
    const vault = JSON.parse((await bkv(['status', '--json'], env(home))).stdout) as { vault: { registered: boolean } };
    expect(vault.vault.registered).toBe(false); // the server keeps nothing
    expect((await bkv(['backup', src], env(home))).code).toBe(0);

    const wrongKey = key.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const target = join(work, 'keyout');
    const wrong = await bkv(['restore', '--key', target], env(await newDevice()), `${wrongKey}\n`);
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/wrong key: backup \w+ was not made with this 64-digit key; nothing was restored/);
    expect(existsSync(target)).toBe(false);

    const typo = await bkv(['restore', '--key', target], env(await newDevice()), 'abcd-xyz\n');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/64-digit key: bad character 'x' at position 6/);

    const fresh = await newDevice();
    const ok = await bkv(['restore', '--key', target], env(fresh, { BKV_KEY: key.toUpperCase().replaceAll('-', ' ') }));
    expect(ok.code, ok.stderr).toBe(0);
    expect(await readFile(join(target, 'a.txt'), 'utf8')).toBe('alpha');
    expect((await bkv(['key', 'show'], env(fresh))).stdout.trim()).toBe(key);
  });
});
