// The CLI against a 2-of-3 realm set of local runtimes (README "Several realms on one machine"): `bkv init` says
// who guards the password, `bkv status` lists the attempts left per realm, and a new device restores with the
// password from the realms (the set pinned on first use), with the real Argon2id setting.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bkv, newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRealms, type TestRealms } from '../helpers/local.js';

let realms: TestRealms;
let work: string;
beforeAll(async () => {
  realms = await startTestRealms(3, 2);
  work = await mkdtemp(join(tmpdir(), 'bkv-cli-realms-'));
});
afterAll(async () => {
  await realms?.stop();
  await rm(work, { recursive: true, force: true });
  await removeDevices();
});

const PASSWORD = 'amber-falcon-quiet-harbor';

describe('bkv with a realm set', { timeout: 300_000 }, () => {
  it('init says who guards the password, status shows each realm, a new device restores from any two', async () => {
    const env = (home: string, extra: Record<string, string> = {}) => ({ BKV_SERVER: realms.primary.url, BKV_HOME: home, BKV_ACCOUNT: 'ivy', ...extra });
    const home = await newDevice();
    const init = await bkv(['init'], env(home, { BKV_PASSWORD: PASSWORD }));
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout + init.stderr).toContain('guarded by 3 realms, any 2 recover; no single operator can test your password offline');
    expect((init.stdout + init.stderr).match(/^ {2}realm \d: http:\/\/127\.0\.0\.1:\d+ · 7 of 7 attempts left$/gm)).toHaveLength(3);
    const status = await bkv(['status'], env(home));
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/guarded by: 3 realms, any 2 recover/);
    expect(status.stdout.match(/^ {2}realm \d: http:\/\/127\.0\.0\.1:\d+ · 7 of 7 attempts left$/gm)).toHaveLength(3);
    const src = join(work, 'src');
    await mkdir(src);
    await writeFile(join(src, 'f.txt'), 'kept by realms');
    expect((await bkv(['backup', src], env(home))).code).toBe(0);
    const other = await newDevice();
    const out = join(work, 'out');
    const restored = await bkv(['restore', 'latest', out], env(other, { BKV_PASSWORD: PASSWORD }));
    expect(restored.code, restored.stderr).toBe(0);
    expect(await readFile(join(out, 'src', 'f.txt'), 'utf8')).toBe('kept by realms');
    expect(JSON.parse(await readFile(join(other, 'realm-set.json'), 'utf8')).set).toEqual(realms.set);
  });
});
