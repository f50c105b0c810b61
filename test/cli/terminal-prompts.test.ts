// The CLI's prompts in a real pseudo-terminal (util-linux `script`, test/helpers/pty.ts): two new passwords
// that differ are asked again; input typed ahead before a password prompt appears is discarded, never used as a
// password (so it spends no attempt); the 64-digit key echoes as typed in groups of four, and a typo is asked
// again with its position named.

import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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

  // The two restore prompts (password with type-ahead, the 64-digit key's grouped echo) went with the old backup CLI
  // (they needed `bkv backup` against /v1/backups); the snapshot CLI brings its own.
});
