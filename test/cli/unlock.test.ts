// A backup killed with SIGKILL leaves its shared lock until the lease runs out, and prune was refused meanwhile
// with nothing to say the holder may be dead. Now the device records the locks it takes ($BKV_HOME/locks/), the
// refusal says `bkv unlock` removes a killed command's lock, and `bkv unlock` removes exactly those whose process
// is gone, keeping one that still runs.

import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupKey } from '../../client/backup-key.js';
import { ApiClient } from '../../client/http.js';
import { HttpRepoStore } from '../../client/repo/storage/http-store.js';
import { newDevice, removeDevices, spawnBkv } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { device, scratch, type Device } from './snapshot-trees.js';

let rt: TestRuntime;
let dev: Device;
let work: string;

beforeAll(async () => {
  rt = await startTestRuntime();
  work = scratch('bkv-unlock-');
  dev = device(rt, 'una', await newDevice());
  expect((await dev.run(['init', '--key'])).code).toBe(0);
});

afterAll(async () => {
  await removeDevices();
  rmSync(work, { recursive: true, force: true });
  await rt?.stop();
});

describe('bkv unlock', () => {
  it('removes the lock of a SIGKILLed backup, so prune runs at once; a running command\'s lock is kept', async () => {
    const src = join(work, 'src');
    mkdirSync(src);
    for (let i = 0; i < 8; i++) writeFileSync(join(src, `f${i}`), randomBytes(24 * 1024 * 1024));
    const child = spawnBkv(['backup', src], { BKV_SERVER: rt.url, BKV_HOME: dev.home, BKV_ACCOUNT: 'una' });
    const locks = join(dev.home, 'locks');
    const deadline = Date.now() + 60_000;
    while (!(existsSync(locks) && readdirSync(locks).length > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(locks)).toHaveLength(1);
    // while it runs, unlock keeps its lock
    const running = await dev.run(['unlock', '--json']);
    expect(running.code, running.stderr).toBe(0);
    expect(JSON.parse(running.stdout)).toMatchObject({ removed: [], kept: [{ why: expect.stringMatching(/still runs it/) }] });
    child.kill('SIGKILL');
    await new Promise((r) => child.once('close', r));

    const refused = await dev.run(['prune']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/bkv unlock removes its lock now/);
    expect(refused.stderr).toMatch(/if that device is gone, bkv unlock --remove-all removes every lock/);
    const u = await dev.run(['unlock']);
    expect(u.code, u.stderr).toBe(0);
    expect(u.stderr).toMatch(/removed the shared lock of process \d+ \(gone\)/);
    expect(readdirSync(locks)).toEqual([]);
    const prune = await dev.run(['prune']);
    expect(prune.code, prune.stderr).toBe(0);
    expect((await dev.run(['unlock'])).stderr).toMatch(/this device holds no repository lock/);
  });

  it('--remove-all removes every lock, another device\'s too: asks first, refuses without --yes when not a terminal', async () => {
    // another device of the account (it holds K) died holding an exclusive lock
    const key = BackupKey.parse((await dev.run(['key', 'show'])).stdout.trim());
    const other = new HttpRepoStore(new ApiClient({ server: rt.url, token: await rt.token('una') }), { backoffMs: 10 });
    other.signWith(key.exposeBytes());
    await other.status();
    const held = await other.lock({ exclusive: true, ttlSeconds: 600, description: 'dead laptop' });
    const locks = async () => ((await other.status()).locks ?? []).map((l) => l.lockId);
    expect(await locks()).toEqual([held.lockId]);
    expect((await dev.run(['prune'])).code).toBe(1);

    const refused = await dev.run(['unlock', '--remove-all']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/not removing all 1 lock of the repository .* without --yes/);
    expect(await locks()).toEqual([held.lockId]);

    const removed = await dev.run(['unlock', '--remove-all', '--yes', '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: [held.lockId], kept: [] });
    expect(await locks()).toEqual([]);
    const prune = await dev.run(['prune']);
    expect(prune.code, prune.stderr).toBe(0);
    expect((await dev.run(['unlock', '--remove-all', '--yes'])).stderr).toMatch(/the repository has no lock/);
    other.close();
  });

  it('--remove-all without this device\'s key removes nothing (a token alone cannot)', async () => {
    const bare = await newDevice();
    const stranger = device(rt, 'una', bare);
    const r = await stranger.run(['unlock', '--remove-all', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no backup key/);
  });
});
