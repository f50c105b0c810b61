// Device state of the CLI (client/device.ts): K is written atomically with mode 0600 in a 0700 directory, read
// back exactly, refused when others can read it or when it is damaged; config round-trips.

import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
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

describe('device state', () => {
  it('keeps K with mode 0600 in a 0700 home and reads it back', async () => {
    const device = new DeviceState(join(base, 'home'));
    expect(await device.readKey()).toBeUndefined();
    expect(await device.hasKey()).toBe(false);
    const key = BackupKey.fromBytes(randomBytes(32));
    await device.writeKey(key);
    expect((await device.readKey())!.equals(key)).toBe(true);
    expect((await device.readKey())!.equals(BackupKey.generate())).toBe(false);
    expect((await stat(device.keyPath)).mode & 0o777).toBe(0o600);
    expect((await stat(device.home)).mode & 0o777).toBe(0o700);
    expect(await readdir(device.home)).toEqual(['backup-key']); // no temp file left
  });

  it('refuses a key file others can read, naming the fix', async () => {
    const device = new DeviceState(join(base, 'home'));
    await device.writeKey(BackupKey.fromBytes(new Uint8Array(32)));
    await chmod(device.keyPath, 0o644);
    const e = await device.readKey().then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).kind).toBe('usage');
    expect((e as ClientError).message).toBe(`${device.keyPath} is readable by others; run: chmod 600 ${device.keyPath}`);
  });

  it('refuses a damaged key file and a damaged config', async () => {
    const device = new DeviceState(base);
    await writeFile(device.keyPath, 'not hex\n', { mode: 0o600 });
    await expect(device.readKey()).rejects.toThrow(/is damaged \(expected 64 hex digits\)/);
    await writeFile(join(base, 'config.json'), '{"server": 3}');
    await expect(device.readConfig()).rejects.toThrow(/config.json is damaged/);
  });

  it('round-trips the config', async () => {
    const device = new DeviceState(join(base, 'home'));
    expect(await device.readConfig()).toEqual({});
    await device.writeConfig({ server: 'http://127.0.0.1:8787', account: 'me', protection: 'password' });
    expect(await device.readConfig()).toEqual({ server: 'http://127.0.0.1:8787', account: 'me', protection: 'password' });
  });
});
