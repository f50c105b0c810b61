// The must-shows of the backups issue, through the real CLI against a local runtime:
//   - killing the CLI mid-upload leaves the previous backup listed and restorable (and the next backup works);
//   - one flipped byte in the stored object (payload or header) makes restore fail clearly (exit 5) and leaves
//     the target directory untouched;
//   - account B cannot list, read or delete account A's backups through the CLI.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bkv, newDevice, removeDevices, spawnBkv } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let work: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  work = await mkdtemp(join(tmpdir(), 'bkv-e2e-'));
});
afterAll(async () => {
  await rt.stop();
  await rm(work, { recursive: true, force: true });
  await removeDevices();
});

const env = (account: string, home: string, extra: Record<string, string> = {}) => ({ BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: account, ...extra });

async function listIds(account: string, home: string): Promise<string[]> {
  const r = await bkv(['status', '--json'], env(account, home));
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { backups: { backupId: string }[] }).backups.map((b) => b.backupId);
}

async function initWithBackup(account: string, files: Record<string, string | Buffer>): Promise<{ home: string; src: string; backupId: string }> {
  const home = await newDevice();
  const src = join(work, `${account}-src`);
  for (const [name, data] of Object.entries(files)) {
    await mkdir(dirname(join(src, name)), { recursive: true });
    await writeFile(join(src, name), data);
  }
  const init = await bkv(['init', '--key'], env(account, home));
  expect(init.code, init.stderr).toBe(0);
  const backup = await bkv(['backup', src], env(account, home));
  expect(backup.code, backup.stderr).toBe(0);
  return { home, src, backupId: backup.stdout.trim() };
}

async function files(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(root, { recursive: true })).sort()) {
    const st = await stat(join(root, name));
    if (st.isFile()) out[name] = (await readFile(join(root, name))).toString('base64');
  }
  return out;
}

/** The s3rver file holding backup `id`. */
async function objectFile(id: string): Promise<string> {
  const all = await readdir(rt.s3.directory, { recursive: true });
  const hit = all.find((p) => p.includes(id) && p.endsWith('._S3rver_object'));
  expect(hit, `object of ${id}`).toBeDefined();
  return join(rt.s3.directory, hit!);
}

async function flipByte(path: string, offset: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0]! ^= 0x01;
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

describe('killing the CLI mid-upload', { timeout: 300_000 }, () => {
  it('leaves the previous backup listed and restorable', async () => {
    const { home, src, backupId } = await initWithBackup('kim', { 'v1.txt': 'version one' });
    const big = join(work, 'kim-big');
    await mkdir(big);
    await writeFile(join(big, 'blob.bin'), randomBytes(64 * 1024 * 1024));

    const child = spawnBkv(['backup', big], env('kim', home));
    let stderr = '';
    const killed = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
    child.stdin!.end();
    await new Promise<void>((resolve) => {
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        // kill once parts are going up, well before the last one
        if (/upload: [1-5]\d%/.test(stderr)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('close', () => resolve());
    });
    const end = await killed;
    expect(end.signal, stderr).toBe('SIGKILL');
    expect(stderr).not.toMatch(/committed/);

    expect(await listIds('kim', home)).toEqual([backupId]);
    const out = join(work, 'kim-out');
    const restore = await bkv(['restore', '--key', out], env('kim', await newDevice(), { BKV_KEY: (await bkv(['key', 'show'], env('kim', home))).stdout }));
    expect(restore.code, restore.stderr).toBe(0);
    expect(await files(out)).toEqual(await files(src));

    // the abandoned upload does not get in the way of the next backup
    await writeFile(join(big, 'blob.bin'), 'small now');
    const next = await bkv(['backup', big], env('kim', home));
    expect(next.code, next.stderr).toBe(0);
    expect(await listIds('kim', home)).toEqual([next.stdout.trim(), backupId]);
  });
});

describe('a tampered object', { timeout: 300_000 }, () => {
  it.for([
    ['payload', (size: number) => Math.floor(size / 2), /payload check failed/],
    ['header', () => 30, /(header|hmac|no-match)|wrong key/],
  ] as const)('one flipped byte in the %s fails the restore and leaves the target untouched', async ([part, where]) => {
    const account = `tamper-${part}`;
    const { home, backupId } = await initWithBackup(account, { 'a.txt': 'alpha', 'big.bin': randomBytes(3 * 1024 * 1024) });
    const object = await objectFile(backupId);
    await flipByte(object, where((await stat(object)).size));

    const target = join(work, `${account}-target`);
    await mkdir(target);
    await writeFile(join(target, 'precious.txt'), 'do not touch');
    const before = await files(target);
    const r = await bkv(['restore', '--force', target], env(account, home));
    if (part === 'payload') {
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(new RegExp(`^bkv: backup ${backupId} is damaged or was tampered with \\(payload check failed\\): nothing was restored and ${target} is untouched\n$`, "m"));
    } else {
      // a flipped header byte breaks the header MAC or the stanza: damaged (5) or, if it hit the key share, wrong key (3)
      expect([3, 5]).toContain(r.code);
      expect(r.stderr).toMatch(/nothing was restored/);
    }
    expect(await files(target)).toEqual(before);
    expect((await readdir(work)).filter((n) => n.includes('bkv-restore'))).toEqual([]);

    const missing = join(work, `${account}-missing`);
    expect((await bkv(['restore', missing], env(account, home))).code).not.toBe(0);
    expect(existsSync(missing)).toBe(false);
  });
});

describe('account isolation through the CLI', { timeout: 300_000 }, () => {
  it('account B cannot list, read or delete account A\'s backups', async () => {
    const a = await initWithBackup('ann', { 'secret.txt': 'ann only' });
    const bHome = await newDevice();
    expect((await bkv(['init', '--key'], env('ben', bHome))).code).toBe(0);

    expect(await listIds('ben', bHome)).toEqual([]);
    const target = join(work, 'ben-steal');
    const read = await bkv(['restore', '--backup', a.backupId, target], env('ben', bHome));
    expect(read.code).toBe(1);
    expect(read.stderr).toBe(`bkv: no backup ${a.backupId} in this account\n`);
    expect(existsSync(target)).toBe(false);

    const del = await bkv(['delete', '--backups', '--yes'], env('ben', bHome));
    expect(del.code, del.stderr).toBe(0);
    expect(await listIds('ann', a.home)).toEqual([a.backupId]);

    // a token names its own account; --account cannot point it elsewhere
    const token = await rt.token('ben');
    const mixed = await bkv(['status'], { BKV_SERVER: rt.url, BKV_HOME: bHome, BKV_TOKEN: token, BKV_ACCOUNT: 'ann' });
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toBe('bkv: BKV_TOKEN is for another account than ann\n');
    expect(mixed.stderr).not.toContain(token);
  });
});
