// Attacker: a false storage server (docs/threat-model.md "Repository"): it serves one pack's bytes under another
// pack's name, or a pack whose age header is damaged. The restore cannot get the data, and must say so and end:
// exit 5 "repository damaged" within seconds, with no staging directory of decrypted files left. (A restore that
// failed before the blob pool's workers had started used to start them after the pool was closed; their ports
// kept the process alive forever.) client/repo/blobs/blob-pool.ts close, README "Exit codes".

import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bkv, newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { device, noise, objects, repoDir, scratch } from '../cli/snapshot-trees.js';

let rt: TestRuntime;
let work: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  work = scratch('bkv-false-storage-');
});
afterAll(async () => {
  await removeDevices();
  rmSync(work, { recursive: true, force: true });
  await rt?.stop();
});

/** A device whose snapshot of a tree of two big files and some small ones is stored in at least two packs. */
async function backedUp(account: string) {
  const src = join(work, account);
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'a.bin'), noise(14 * 1024 * 1024, 1));
  writeFileSync(join(src, 'b.bin'), noise(14 * 1024 * 1024, 2));
  for (let i = 0; i < 20; i++) writeFileSync(join(src, `small-${i}.txt`), `small file ${i}\n`);
  const dev = device(rt, account, await newDevice());
  for (const args of [['init', '--key'], ['backup', '--quiet', src]]) {
    const r = await dev.run(args);
    expect(r.code, r.stderr).toBe(0);
  }
  const packs = await objects(rt, account, 'data');
  expect(packs.length).toBeGreaterThanOrEqual(2);
  return { dev, packs, dir: join(repoDir(rt, account), 'data') };
}

const RESTORE_TIMEOUT_MS = 30_000;

describe('a false storage server against restore', () => {
  it.for([
    ['two packs swapped', 'swap'],
    ['a pack with a damaged age header', 'header'],
  ] as const)('%s: exit 5 "damaged" within seconds, nothing left behind', { timeout: 120_000 }, async ([, how]) => {
    const { dev, packs, dir } = await backedUp(`false-storage-${how}`);
    if (how === 'swap') {
      const [p, q] = [join(dir, packs[0]!), join(dir, packs[1]!)];
      renameSync(p, `${p}.tmp`);
      renameSync(q, p);
      renameSync(`${p}.tmp`, q);
    } else {
      for (const id of packs) {
        const bytes = readFileSync(join(dir, id));
        const mac = bytes.indexOf('\n--- ') + 6; // the age header's MAC
        bytes[mac] = bytes[mac] === 0x41 ? 0x42 : 0x41;
        writeFileSync(join(dir, id), bytes);
      }
    }
    const out = join(work, `out-${how}`);
    // killed (code null) if it has not ended by then
    const r = await bkv(['restore', 'latest', out], { BKV_SERVER: rt.url, BKV_HOME: dev.home, BKV_ACCOUNT: `false-storage-${how}` }, undefined, RESTORE_TIMEOUT_MS);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/damaged/);
    expect(readdirSync(work).filter((n) => n.startsWith('.bkv-restore-') || n === `out-${how}`)).toEqual([]);
  });
});
