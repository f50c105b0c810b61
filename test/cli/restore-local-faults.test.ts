// A restore that this device cannot finish is this device's failure, said as such, and leaves nothing behind:
// a full disk under the target (a real 4 MiB tmpfs, so ENOSPC comes from the kernel) is exit 1 "cannot write
// <the file in the target>: no space left on device", never "repository damaged" (exit 5) and never a silent exit 13 (the blob
// pool's workers were unref'd while it waited for them to stop, so the process could end with the error unsaid),
// and no staging directory of decrypted files stays. A snapshot of thousands of small files (one pack, one worker
// task) restores under a limit of 256 open files: a task keeps at most a few of its files open at once.
// README "Exit codes"; client/repo/blobs/blob-ops.ts writeBlobs, blob-pool.ts close, restore.ts.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BKV_BIN, cliEnv, newDevice, removeDevices, type CliResult } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { device, noise, scratch, type Device } from './snapshot-trees.js';

let rt: TestRuntime;
let work: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  work = scratch();
});
afterAll(async () => {
  await removeDevices();
  rmSync(work, { recursive: true, force: true });
  await rt?.stop();
});

async function backedUp(account: string, src: string): Promise<Device> {
  const dev = device(rt, account, await newDevice());
  for (const args of [['init', '--key'], ['backup', '--quiet', src]]) {
    const r = await dev.run(args);
    expect(r.code, r.stderr).toBe(0);
  }
  return dev;
}

describe('restore on a device that cannot take it', () => {
  it('a full disk: exit 1 naming the file in the target, no staging left, the same every time', async () => {
    if (process.getuid?.() !== 0) throw new Error('this test mounts a small tmpfs and needs root (CI runs `bash .ci/run` as root)');
    const src = join(work, 'big');
    mkdirSync(join(src, 'large'), { recursive: true });
    writeFileSync(join(src, 'large', 'a.bin'), noise(12 * 1024 * 1024, 1));
    writeFileSync(join(src, 'large', 'b.bin'), noise(12 * 1024 * 1024, 2));
    for (let i = 0; i < 20; i++) writeFileSync(join(src, `small-${i}.txt`), `small file ${i}\n`);
    const dev = await backedUp('full-disk', src);
    const mountPoint = mkdtempSync(join(tmpdir(), 'bkv-restore-full-'));
    const out = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountPoint], { encoding: 'utf8' });
    if (out.status !== 0) throw new Error(`cannot mount a tmpfs as root: ${out.stderr || out.error?.message}`);
    try {
      for (let run = 0; run < 5; run++) {
        const target = join(mountPoint, `out${run}`);
        const r = await dev.run(['restore', 'latest', target]);
        expect(r.code, r.stderr).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`bkv: cannot write ${target}/big/(large/[ab]\\.bin|small-\\d+\\.txt): no space left on device\\n$`));
        expect(r.stderr).not.toContain('damaged');
        expect(readdirSync(mountPoint)).toEqual([]); // no target, no .bkv-restore-* staging
      }
    } finally {
      spawnSync('umount', ['-l', mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    }
  });

  it('3,000 small files in one pack restore under a limit of 256 open files', async () => {
    const src = join(work, 'many');
    for (let d = 0; d < 3; d++) {
      mkdirSync(join(src, `d${d}`), { recursive: true });
      for (let i = 0; i < 1000; i++) writeFileSync(join(src, `d${d}`, `f${i}`), `file ${d}/${i}\n`);
    }
    const dev = await backedUp('many-files', src);
    const target = join(work, 'many-out');
    const env = cliEnv({ BKV_SERVER: rt.url, BKV_HOME: dev.home, BKV_ACCOUNT: 'many-files' });
    const child = spawn('bash', ['-c', 'ulimit -n 256 && exec "$0" "$@"', process.execPath, BKV_BIN, 'restore', '--quiet', 'latest', target], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const r = await new Promise<CliResult>((res) => child.on('close', (code, signal) => res({ code, signal, stdout: '', stderr })));
    expect(r.code, r.stderr).toBe(0);
    for (let d = 0; d < 3; d++) {
      expect(readdirSync(join(target, 'many', `d${d}`))).toHaveLength(1000);
      for (const i of [0, 517, 999]) expect(readFileSync(join(target, 'many', `d${d}`, `f${i}`), 'utf8')).toBe(`file ${d}/${i}\n`);
    }
  });
});
