// The CLI's prompts in a real pseudo-terminal (util-linux `script`, test/helpers/pty.ts): two new passwords
// that differ are asked again; input typed ahead before a password prompt appears is discarded, never used as a
// password (so it spends no attempt); the 64-digit key echoes as typed in groups of four, and a typo is asked
// again with its position named.

import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../client/vault-client.js';
import { bkv, newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { bkvInTerminal, type Terminal } from '../helpers/pty.js';

let rt: TestRuntime;
let work: string;
const terminals: Terminal[] = [];
beforeAll(async () => {
  execFileSync('script', ['--version']); // util-linux; .ci/run installs it where it is missing
  rt = await startTestRuntime();
  work = await mkdtemp(join(tmpdir(), 'bkv-pty-'));
});
afterAll(async () => {
  for (const t of terminals) t.kill();
  await rt.stop();
  await rm(work, { recursive: true, force: true });
  await removeDevices();
});

function terminal(args: string[], env: Record<string, string>): Terminal {
  const t = bkvInTerminal(args, env);
  terminals.push(t);
  return t;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

const PASSWORD = 'quartz-lantern-meadow-orbit-vessel';

describe('terminal prompts', { timeout: 180_000 }, () => {
  it('asks again when the two new passwords differ, and discards what was typed before the prompt', async () => {
    const home = await newDevice();
    const env = { BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'tess' };
    const t = terminal(['init'], env);
    expect(t.output).not.toMatch(/password/); // the prompt is not there yet: this is type-ahead
    t.type('ls -la\r');
    await t.waitFor(/new password for tess: $/);
    await sleep(500);
    expect(t.output).toMatch(/new password for tess: $/); // still waiting: `ls -la` was not taken as an answer
    t.type(`${PASSWORD}\r`);
    await t.waitFor(/repeat password: $/);
    t.type('a different thing\r');
    await t.waitFor(/^\nthe two passwords differ; try again \(2 more tries\)\.\nnew password for tess: $/);
    t.type(`${PASSWORD}\r`);
    await t.waitFor(/repeat password: $/);
    t.type(`${PASSWORD}\r`);
    await t.waitFor(/backup key created and kept in the vault/);
    expect(await t.exited).toBe(0);
    expect(t.output).toMatch(/password strength ok: offline/);
    expect(t.output).not.toMatch(/refused|weak/); // `ls -la` was never checked as a password
    expect(t.output).not.toContain(PASSWORD); // never echoed
    expect(count(t.output, 'new password for tess: ')).toBe(2);
    expect(count(t.output, 'the two passwords differ')).toBe(1);

    // the vault holds this device's K behind exactly the password typed after the prompt
    const vault = new VaultClient({ server: rt.url, token: await rt.token('tess') });
    const key = await vault.recover(PASSWORD);
    const onDevice = (await bkv(['key', 'show'], env)).stdout.trim();
    expect(Buffer.from(key).toString('hex')).toBe(onDevice.replaceAll('-', ''));
  });

  it('gives up after three mismatches, changing nothing', async () => {
    const home = await newDevice();
    const t = terminal(['init'], { BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'uma' });
    await t.waitFor(/new password for uma: $/);
    for (let i = 1; i <= 3; i++) {
      t.type(`${PASSWORD}\r`);
      await t.waitFor(/^\nrepeat password: $/);
      t.type(`${PASSWORD}x\r`);
      if (i < 3) await t.waitFor(/the two passwords differ; try again[^\n]*\nnew password for uma: $/);
    }
    expect(await t.exited).toBe(2);
    expect(t.output).toMatch(/bkv: the two passwords differed 3 times; nothing was changed/);
    expect((await (await rt.vaultClient('uma')).status()).registered).toBe(false);
  });

  it('restores with the password without spending an attempt on type-ahead', async () => {
    const env = (home: string) => ({ BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'vic' });
    const laptop = await newDevice();
    const src = join(work, 'vic-src');
    await mkdir(src);
    await writeFile(join(src, 'f.txt'), 'hello');
    expect((await bkv(['init'], { ...env(laptop), BKV_PASSWORD: PASSWORD })).code).toBe(0);
    expect((await bkv(['backup', src], env(laptop))).code).toBe(0);

    const out = join(work, 'vic-out');
    const t = terminal(['restore', 'latest', out], env(await newDevice()));
    t.type('git status\r');
    await t.waitFor(/password for vic: $/);
    await sleep(500);
    expect(t.output).toMatch(/password for vic: $/);
    t.type(`${PASSWORD}\r`);
    await t.waitFor(/restored 1 files/);
    expect(await t.exited).toBe(0);
    expect(t.output).not.toMatch(/wrong password/);
    expect(await readFile(join(out, 'vic-src', 'f.txt'), 'utf8')).toBe('hello');
    expect((await (await rt.vaultClient('vic')).status()).attemptsRemaining).toBe(10);
  });

  it('echoes the 64-digit key in groups of four and asks again naming a typo\'s position', async () => {
    const env = (home: string) => ({ BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'wes' });
    const laptop = await newDevice();
    const src = join(work, 'wes-src');
    await mkdir(src);
    await writeFile(join(src, 'f.txt'), 'paper key');
    const init = await bkv(['init', '--key'], env(laptop));
    expect(init.code).toBe(0);
    const formatted = init.stdout.trim();
    expect((await bkv(['backup', src], env(laptop))).code).toBe(0);
    const digits = formatted.replaceAll('-', '');
    const typo = `${digits.slice(0, 17)}g${digits.slice(18)}`; // digit 18: group 5, digit 2

    const out = join(work, 'wes-out');
    const t = terminal(['restore', '--key', 'latest', out], env(await newDevice()));
    await t.waitFor(/shows as you type, in groups of four \(it is on your paper anyway\)\.\n64-digit backup key: $/);
    t.type(typo); // typed without dashes: the echo groups it
    const grouped = typo.match(/.{4}/g)!.join('-');
    await t.waitFor(new RegExp(`^${grouped}$`));
    t.type('\r');
    await t.waitFor(/^\n64-digit key: bad character 'g' at position 22 \(group 5, digit 2\); try again\.\n64-digit backup key: $/);
    const mark = t.output.length;
    t.type(`${digits.slice(0, 6)}x\x7f${digits.slice(6)}`); // a slip taken back with backspace
    await t.waitFor(new RegExp(`^${formatted}$`));
    t.type('\r');
    await t.waitFor(/restored 1 files/);
    expect(await t.exited).toBe(0);
    expect(t.since(mark)).not.toMatch(/bad character/);
    expect(await readFile(join(out, 'wes-src', 'f.txt'), 'utf8')).toBe('paper key');
  });
});
