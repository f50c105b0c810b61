// New passwords through the CLI (`bkv init`, `bkv passwd`) without a terminal: an obviously weak password is
// refused with its reason (exit 2, even with --yes) and nothing is registered; a weak one needs --yes and is
// explained in offline time and online chance; --generate-password shows six words once, and they are the
// password. `bkv delete` says what it actually deleted.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../client/vault-client.js';
import { bkv, newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let work: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  work = await mkdtemp(join(tmpdir(), 'bkv-cli-strength-'));
});
afterAll(async () => {
  await rt.stop();
  await rm(work, { recursive: true, force: true });
  await removeDevices();
});

const env = (account: string, home: string, extra: Record<string, string> = {}) => ({ BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: account, ...extra });
const registered = async (account: string) => (await (await rt.vaultClient(account)).status()).registered;
const STRONG = 'amber-falcon-quiet-harbor';

describe('bkv init checks the new password', { timeout: 300_000 }, () => {
  it.for([
    ['abc', [], /^bkv: password refused: common character sequences like "abc" are easy to guess; offline, whoever can bypass the guess limit needs about \d+ seconds on one core, less than a second on 10,000 cores\. choose a longer one, or let bkv make one with --generate-password$/m],
    ['abc', ['--yes'], /^bkv: password refused: common character sequences/m],
    ['password1', ['--yes'], /^bkv: password refused: /m],
    ['ann-password', [], /^bkv: password refused: it contains the account name or another word known about you; /m],
  ] as const)('refuses %j %j (exit 2), registering nothing', async ([password, flags, message]) => {
    const home = await newDevice();
    const r = await bkv(['init', ...flags], env('ann', home, { BKV_PASSWORD: password }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/backup key created/);
    expect(existsSync(join(home, 'backup-key'))).toBe(false);
    expect(await registered('ann')).toBe(false);
  });

  it('refuses a password from stdin the same way', async () => {
    const r = await bkv(['init'], env('ann', await newDevice()), 'qwertyuiop\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^bkv: password refused: this is a frequently used password; /m);
  });

  it('wants --yes for a weak password, and says why it is weak', async () => {
    const home = await newDevice();
    const r = await bkv(['init'], env('ben', home, { BKV_PASSWORD: 'a fresh start' }));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^warning: weak password: it is too short or too predictable for an offline attacker\.$/m);
    expect(r.stderr).toMatch(/^offline, whoever can bypass the guess limit needs about \d+ years on one core, about \d+ days on 10,000 cores; online, an attacker gets 10 guesses before the vault destroys the key: at most a 1 in 10\^9 chance of finding it\.$/m);
    expect(r.stderr).toMatch(/^bkv: weak password: not using it without --yes/m);
    expect(await registered('ben')).toBe(false);

    const yes = await bkv(['init', '--yes'], env('ben', home, { BKV_PASSWORD: 'a fresh start' }));
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stderr).toMatch(/warning: weak password/);
    expect(yes.stderr).toMatch(/backup key created and kept in the vault behind your password/);
    expect(await registered('ben')).toBe(true);
  });

  it('takes a strong password without asking, and says so', async () => {
    const r = await bkv(['init'], env('cat', await newDevice(), { BKV_PASSWORD: STRONG }));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^password strength ok: offline, whoever can bypass the guess limit needs more than a billion years on one core, /m);
    expect(r.stderr).not.toContain(STRONG);
    expect(r.stdout).toBe('');
  });

  it('--generate-password shows six words once, and they are the password', async () => {
    const home = await newDevice();
    const r = await bkv(['init', '--generate-password'], env('dan', home));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^[a-z]+(-[a-z]+){5}\n$/);
    expect(r.stderr).toMatch(/your new password is below: 6 random words \(77 bits\)\. it is shown only this once/);
    const vault = new VaultClient({ server: rt.url, token: await rt.token('dan') });
    const key = await vault.recover(r.stdout.trim());
    const shown = (await bkv(['key', 'show'], env('dan', home))).stdout.trim();
    expect(Buffer.from(key).toString('hex')).toBe(shown.replaceAll('-', ''));
  });

  it.for([
    [['--generate-password'], { BKV_PASSWORD: STRONG }, /--generate-password and BKV_PASSWORD both give the new password/],
    [['--key', '--generate-password'], {}, /--generate-password makes a password: it does not go with --key/],
  ] as const)('%j with %j is a usage error', async ([flags, extra, message]) => {
    const r = await bkv(['init', ...flags], env('eve', await newDevice(), extra));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('bkv passwd checks the new password', { timeout: 300_000 }, () => {
  it('refuses an obvious one, wants --yes for a weak one, then changes it', async () => {
    const home = await newDevice();
    expect((await bkv(['init'], env('fay', home, { BKV_PASSWORD: STRONG }))).code).toBe(0);
    const current = { BKV_PASSWORD: STRONG };
    const refused = await bkv(['passwd', '--yes'], env('fay', home, { ...current, BKV_NEW_PASSWORD: 'fay12345' }));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^bkv: password refused: /m);
    const weak = await bkv(['passwd'], env('fay', home, { ...current, BKV_NEW_PASSWORD: 'Tr0ub4dor&3' }));
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/^bkv: weak password: not using it without --yes/m);
    const status = await (await rt.vaultClient('fay')).status();
    expect(status).toMatchObject({ generation: 1, attemptsRemaining: 10 });

    const yes = await bkv(['passwd', '--yes'], env('fay', home, { ...current, BKV_NEW_PASSWORD: 'Tr0ub4dor&3' }));
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stderr).toMatch(/password changed \(generation 2\)/);
  });
});

describe('bkv delete says what it deleted', { timeout: 300_000 }, () => {
  // 'an account with only a 64-digit key: its backups, and no vault key' went with the old backup CLI (it needed
  // `bkv backup` against /v1/backups); the snapshot CLI brings its own.
  it('an account with a vault key: the key, and the backups stay unless asked', async () => {
    const home = await newDevice();
    expect((await bkv(['init'], env('hal', home, { BKV_PASSWORD: STRONG }))).code).toBe(0);
    const r = await bkv(['delete', '--yes'], env('hal', home));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^deleted the vault key of account hal\.$/m);
    expect(r.stderr).toMatch(/^the backups stay \(bkv delete --backups deletes them too\)\.$/m);
    expect(await registered('hal')).toBe(false);
  });
});
