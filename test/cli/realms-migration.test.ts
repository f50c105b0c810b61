// A vault registered under protocol 2 (the single OPAQUE vault, before the server ran realms) keeps working from the
// CLI once the server publishes a 2-of-3 realm set, and moves to the realms at its next successful recovery (a
// restore on a new device) or at `bkv passwd`; the single vault's record is then deleted, so no single operator can
// test that password offline any more (docs/protocol.md "Realms, moving from the single vault").

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../client/vault-client.js';
import { bkv, newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRealms, type TestRealms } from '../helpers/local.js';

let realms: TestRealms;
let work: string;
beforeAll(async () => {
  realms = await startTestRealms(3, 2);
  work = await mkdtemp(join(tmpdir(), 'bkv-cli-realm-move-'));
});
afterAll(async () => {
  await realms?.stop();
  await rm(work, { recursive: true, force: true });
  await removeDevices();
});

const PASSWORD = 'amber-falcon-quiet-harbor';
const NEW_PASSWORD = 'copper-meadow-silent-lantern';
const env = (home: string, account: string, extra: Record<string, string> = {}) => ({ BKV_SERVER: realms.primary.url, BKV_HOME: home, BKV_ACCOUNT: account, ...extra });

/** The single (protocol-2) vault's own view, and each realm's, of `account`. */
async function where(account: string): Promise<{ single: boolean; realms: number[] }> {
  const token = await realms.token(account);
  const single = await new VaultClient({ server: realms.primary.url, token, realmSet: null }).status();
  const view = await new VaultClient({ server: realms.primary.url, token, realmSet: realms.set }).status();
  return { single: single.registered, realms: view.realms!.realms.map((r) => (r.registered ? r.allowedGuesses : 0)) };
}

/** `bkv init` and one backup while the server publishes no realm set: a protocol-2 vault. */
async function protocol2Vault(account: string, content: string): Promise<string> {
  realms.publish(false);
  const home = await newDevice();
  const init = await bkv(['init'], env(home, account, { BKV_PASSWORD: PASSWORD }));
  expect(init.code, init.stderr).toBe(0);
  expect(init.stdout + init.stderr).toContain('one vault');
  const src = join(work, account);
  await mkdir(src);
  await writeFile(join(src, 'f.txt'), content);
  const backup = await bkv(['backup', src], env(home, account));
  expect(backup.code, backup.stderr).toBe(0);
  expect(await where(account)).toEqual({ single: true, realms: [0, 0, 0] });
  realms.publish(true);
  return home;
}

async function restoreOnNewDevice(account: string, password: string) {
  const device = await newDevice();
  const out = join(work, `${account}-${Math.random().toString(36).slice(2)}`);
  const r = await bkv(['restore', 'latest', out], env(device, account, { BKV_PASSWORD: password }));
  return { ...r, read: () => readFile(join(out, account, 'f.txt'), 'utf8') };
}

describe('a protocol-2 vault when the server starts running realms', { timeout: 300_000 }, () => {
  it('keeps working, and moves to the realms at its next successful recovery', async () => {
    const home = await protocol2Vault('lena', 'kept since protocol 2');
    const status = await bkv(['status'], env(home, 'lena'));
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('key kept, 10 of 10 password attempts left');
    const restored = await restoreOnNewDevice('lena', PASSWORD);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await restored.read()).toBe('kept since protocol 2');
    expect(await where('lena')).toEqual({ single: false, realms: [7, 7, 7] });
    const after = await bkv(['status'], env(home, 'lena'));
    expect(after.stdout).toMatch(/guarded by: 3 realms, any 2 recover; no single operator can test your password offline/);
    expect(after.stdout.match(/^ {2}realm \d: .* · 7 of 7 attempts left$/gm)).toHaveLength(3);
    const again = await restoreOnNewDevice('lena', PASSWORD); // now from the realms
    expect(again.code, again.stderr).toBe(0);
    expect(await again.read()).toBe('kept since protocol 2');
  });

  it('a realm down during the move: the restore still succeeds, the key stays in the single vault, and moves next time', async () => {
    await protocol2Vault('omar', 'moved once all realms answer');
    const oneDown = { ...realms.set, realms: realms.set.realms.map((r, i) => (i === 2 ? { ...r, url: 'http://127.0.0.1:9' } : r)) };
    realms.publish(oneDown); // a new device pins this set; realm 3 does not answer
    const restored = await restoreOnNewDevice('omar', PASSWORD);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await restored.read()).toBe('moved once all realms answer');
    expect(restored.stderr).toMatch(/not moved to the realms/);
    expect(await where('omar')).toEqual({ single: true, realms: [0, 0, 0] });
    realms.publish(true);
    const next = await restoreOnNewDevice('omar', PASSWORD);
    expect(next.code, next.stderr).toBe(0);
    expect(await where('omar')).toEqual({ single: false, realms: [7, 7, 7] });
  });

  it('a wrong password leaves it in the single vault, counted there', async () => {
    await protocol2Vault('milo', 'still protocol 2');
    const wrong = await restoreOnNewDevice('milo', 'not-the-password-at-all');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/wrong password/);
    expect(await where('milo')).toEqual({ single: true, realms: [0, 0, 0] });
    const status = await new VaultClient({ server: realms.primary.url, token: await realms.token('milo'), realmSet: null }).status();
    expect(status.attemptsRemaining).toBe(9);
  });

  it('moves to the realms at bkv passwd, under the new password only', async () => {
    const home = await protocol2Vault('nora', 'moved by passwd');
    const changed = await bkv(['passwd'], env(home, 'nora', { BKV_PASSWORD: PASSWORD, BKV_NEW_PASSWORD: NEW_PASSWORD }));
    expect(changed.code, changed.stderr).toBe(0);
    expect(await where('nora')).toEqual({ single: false, realms: [7, 7, 7] });
    const old = await restoreOnNewDevice('nora', PASSWORD);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toMatch(/wrong password/);
    const restored = await restoreOnNewDevice('nora', NEW_PASSWORD);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await restored.read()).toBe('moved by passwd');
  });
});
