// In-process benchmark of the snapshot engine (client/repo) on the test memory store: first backup, unchanged
// backup, restore, check --read-data of a tree like bench:e2e's (random data: 1/8 in files of 1 B–64 KiB, the
// rest in 4 large files) in /dev/shm. Prints MiB/s per phase. `npx tsx bench/repo-engine.ts` (BENCH_BYTES).

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTree } from './cli-harness.js';
import { backup } from '../client/repo/commands/backup.js';
import { restore } from '../client/repo/commands/restore.js';
import { check } from '../client/repo/commands/check.js';
import { initRepository } from '../client/repo/repository.js';
import { TestMemoryStore } from '../test/helpers/memory-repo.js';

const BYTES = Number(process.env.BENCH_BYTES ?? 1024 ** 3);
const MiB = 1024 * 1024;
const dir = mkdtempSync('/dev/shm/bkv-bench-');
try {
  const src = join(dir, 'src');
  const tree = await makeTree(src, { bytes: BYTES, smallBytes: BYTES / 8, largeFiles: 4 } as never);
  const store = new TestMemoryStore(undefined, false);
  if (process.env.BENCH_DISCARD) {
    // memory bound of a backup: the store keeps only the size of data packs, as a remote one would
    const put = store.put.bind(store);
    store.put = (name, body, o) => put(name, name.type === 'data' ? new Uint8Array(0) : body, o);
  }
  const key = randomBytes(32);
  const home = join(dir, 'home');
  const repo = await initRepository(store, key, { home });
  const rate = (ms: number) => `${((BYTES / MiB) / (ms / 1000)).toFixed(0)} MiB/s`;
  // CPU seconds of the whole process (all threads): on a loaded machine wall time says little, CPU time does.
  let cpu0 = process.cpuUsage();
  const cpu = () => {
    const d = process.cpuUsage(cpu0);
    cpu0 = process.cpuUsage();
    return `cpu ${((d.user + d.system) / 1e6).toFixed(2)} s (${((BYTES / MiB) / ((d.user + d.system) / 1e6)).toFixed(0)} MiB per cpu-s)`;
  };
  const peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], Math.round(m[k] / MiB));
  }, 20);
  cpu();
  let t = Date.now();
  const first = await backup(repo, { paths: [src] });
  let ms = Date.now() - t;
  console.log(`first backup: ${tree.files} files, ${ms} ms, ${rate(ms)}, put ${(store.putBytes / MiB).toFixed(0)} MiB, ${cpu()}`);
  if (process.env.BENCH_DISCARD) {
    clearInterval(sampler);
    console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (data packs discarded); main thread peaks (MiB): ${JSON.stringify(peak)}`);
    process.exit(0);
  }
  const repo2 = await initRepository(store, key, { home });
  cpu();
  t = Date.now();
  const second = await backup(repo2, { paths: [src] });
  ms = Date.now() - t;
  console.log(`unchanged backup: ${ms} ms, new ${second.snapshot.summary.newBytes} B, uploaded ${second.snapshot.summary.uploadedBytes} B, ${cpu()}`);
  cpu();
  t = Date.now();
  await restore(repo2, first.snapshot, join(dir, 'out'), { home });
  ms = Date.now() - t;
  console.log(`restore: ${ms} ms, ${rate(ms)}, ${cpu()}`);
  cpu();
  t = Date.now();
  const c = await check(repo2, { readData: true });
  ms = Date.now() - t;
  console.log(`check --read-data: ${ms} ms, ${rate(ms)}, ${c.errors.length} errors, ${cpu()}`);
  await repo.close();
  await repo2.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
