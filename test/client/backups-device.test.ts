// Device state of the CLI (client/device.ts): K is kept per server and account, written atomically with mode
// 0600 in a 0700 directory, read back exactly and only for the owner it names, refused when others can read it
// or when it is damaged; an older bkv's one `backup-key` moves to the account config.json names (and is never
// used when it names none); config round-trips.

import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientError } from '../../client/errors.js';
import { BackupKey } from '../../client/backup-key.js';
import { DeviceState } from '../../client/device.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'bkv-device-'));
});
afterEach(async () => rm(base, { recursive: true, force: true }));

const SERVER = 'http://127.0.0.1:8787';
const alice = { server: SERVER, account: 'alice' };
const erin = { server: SERVER, account: 'erin' };

describe('device state', () => {
  it('keeps K with mode 0600 in 0700 directories and reads it back', async () => {
    const device = new DeviceState(join(base, 'home'));
    expect(await device.readKey(alice)).toBeUndefined();
    expect(await device.hasKey(alice)).toBe(false);
    const key = BackupKey.fromBytes(randomBytes(32));
    await device.writeKey(alice, key, 'password');
    expect((await device.readKey(alice))!.equals(key)).toBe(true);
    expect((await device.readKey(alice))!.equals(BackupKey.generate())).toBe(false);
    expect(await device.protection(alice)).toBe('password');
    expect((await stat(device.keyPathFor(alice))).mode & 0o777).toBe(0o600);
    expect((await stat(device.home)).mode & 0o777).toBe(0o700);
    expect((await stat(join(device.home, 'keys'))).mode & 0o777).toBe(0o700);
    expect(await readdir(join(device.home, 'keys'))).toEqual([device.keyPathFor(alice).split('/').at(-1)]); // no temp file left
    expect(await device.owners()).toEqual([alice]);
  });

  it('never gives one account\'s key to another account or another server', async () => {
    const device = new DeviceState(base);
    await device.writeKey(alice, BackupKey.generate(), 'key');
    expect(await device.readKey(erin)).toBeUndefined();
    expect(await device.readKey({ server: 'http://127.0.0.1:9999', account: 'alice' })).toBeUndefined();
    const erinKey = BackupKey.generate();
    await device.writeKey(erin, erinKey, 'password');
    expect((await device.readKey(erin))!.equals(erinKey)).toBe(true);
    expect((await device.readKey(alice))!.equals(erinKey)).toBe(false);
  });

  it('refuses an entry that names another owner than the one asked for (a file copied over another)', async () => {
    const device = new DeviceState(base);
    await device.writeKey(alice, BackupKey.generate(), 'key');
    await mkdir(join(base, 'keys'), { recursive: true });
    await writeFile(device.keyPathFor(erin), await readFile(device.keyPathFor(alice)), { mode: 0o600 });
    const e = await device.readKey(erin).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).message).toBe(`${device.keyPathFor(erin)} belongs to alice at ${SERVER}, not erin at ${SERVER}`);
  });

  it('refuses a key file others can read, naming the fix', async () => {
    const device = new DeviceState(join(base, 'home'));
    await device.writeKey(alice, BackupKey.fromBytes(new Uint8Array(32)), 'key');
    const path = device.keyPathFor(alice);
    await chmod(path, 0o644);
    const e = await device.readKey(alice).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).kind).toBe('usage');
    expect((e as ClientError).message).toBe(`${path} is readable by others; run: chmod 600 ${path}`);
  });

  it('refuses a damaged key entry, a damaged old key file and a damaged config', async () => {
    const device = new DeviceState(base);
    await mkdir(join(base, 'keys'));
    await writeFile(device.keyPathFor(alice), '{"server":"x"}', { mode: 0o600 });
    await expect(device.readKey(alice)).rejects.toThrow(/is damaged \(expected a key entry\)/);
    const old = new DeviceState(join(base, 'old'));
    await mkdir(old.home);
    await writeFile(old.legacyKeyPath, 'not hex\n', { mode: 0o600 });
    await expect(old.readKey(alice)).rejects.toThrow(/backup-key is damaged \(expected 64 hex digits\)/);
    await writeFile(join(base, 'config.json'), '{"server": 3}');
    await expect(device.readConfig()).rejects.toThrow(/config.json is damaged/);
  });

  it('moves an older bkv\'s backup-key to the account config.json names, and only that account', async () => {
    const device = new DeviceState(base);
    const key = BackupKey.generate();
    await writeFile(device.legacyKeyPath, `${Buffer.from(key.exposeBytes()).toString('hex')}\n`, { mode: 0o600 });
    await writeFile(join(base, 'config.json'), JSON.stringify({ server: `${SERVER}/`, account: 'alice', protection: 'key' }));
    expect(await device.readKey(erin)).toBeUndefined();
    expect((await device.readKey(alice))!.equals(key)).toBe(true);
    expect(await device.protection(alice)).toBe('key');
    expect(await readdir(base)).not.toContain('backup-key');
    expect(await device.unboundLegacyKey()).toBeUndefined();
  });

  it('never uses an older bkv\'s backup-key whose account is not recorded, and names it', async () => {
    const device = new DeviceState(base);
    await writeFile(device.legacyKeyPath, `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    await writeFile(join(base, 'config.json'), JSON.stringify({ server: SERVER }));
    expect(await device.readKey(alice)).toBeUndefined();
    expect(await device.owners()).toEqual([]);
    expect(await device.unboundLegacyKey()).toBe(device.legacyKeyPath);
  });

  it('round-trips the config', async () => {
    const device = new DeviceState(join(base, 'home'));
    expect(await device.readConfig()).toEqual({});
    await device.writeConfig({ server: SERVER, account: 'me' });
    expect(await device.readConfig()).toEqual({ server: SERVER, account: 'me' });
  });
});
