// `BENCH_BASELINE=<another checkout> npm run bench:engine-ab`: this checkout's `bkv` (A) against the baseline's (B),
// as alternating whole processes (A B A B …) on one local runtime, so both builds meet the same machine drift: a
// first backup (init --key + backup into an empty repository), an unchanged backup, and a restore of latest. The
// ratio is A ÷ B per pair (wall, CPU of the process with its worker threads, peak RSS: GNU time), reported as the
// median and min–max of the pairs, with the load average before and after. A change counts only when the median
// ratio sits outside most pairs' spread. The tree (in /dev/shm where there is one): BENCH_FILES small files of
// 1–8,000 bytes in directories of 1,000, plus one file of BENCH_BIG_MIB MiB, random data. Every restore of the
// first pair is compared with the tree (SHA-256 of every file). The baseline checkout needs its own node_modules
// (or a link to this one's). Figures: docs/benchmarks.md.

import { randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BKV_BIN, bkv, check, digestTree, fmt, median, sameDigest, startRuntime, type Timed } from './cli-harness.js';

const baseline = process.env.BENCH_BASELINE;
const PAIRS = Number(process.env.BENCH_PAIRS ?? 10);
const FILES = Number(process.env.BENCH_FILES ?? 20_000);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 200);

interface Sample { seconds: number; cpu: number; rss: number }

/** Several processes as one sample: wall and CPU add up, the peak is the largest. */
function sample(runs: Timed[]): Sample {
  return { seconds: runs.reduce((a, r) => a + r.seconds, 0), cpu: runs.reduce((a, r) => a + r.cpuSeconds, 0), rss: Math.max(...runs.map((r) => r.rssMiB)) };
}

async function makeTree(root: string): Promise<void> {
  const scratch = Buffer.allocUnsafe(8 * 1024 * 1024);
  let seed = 12345;
  for (let i = 0; i < FILES; i++) {
    const dir = join(root, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) await mkdir(dir, { recursive: true });
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (seed % 8000);
    await writeFile(join(dir, `f${i}`), randomFillSync(scratch, 0, size).subarray(0, size));
  }
  const big = Buffer.allocUnsafe(BIG_MIB * 1024 * 1024);
  for (let at = 0; at < big.length; at += 65536) randomFillSync(big, at, Math.min(65536, big.length - at));
  await writeFile(join(root, 'big'), big);
}

async function main(): Promise<void> {
  if (!baseline || !existsSync(join(baseline, 'bin/bkv.js'))) throw new Error('set BENCH_BASELINE to another checkout of bkv (with node_modules)');
  const builds = { A: BKV_BIN, B: join(baseline, 'bin/bkv.js') };
  const base = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'bkv-engine-ab-'));
  const runtime = await startRuntime(join(base, 'data'));
  const load = [loadavg()[0]!];
  try {
    const tree = join(base, 'tree');
    await makeTree(tree);
    const digest = await digestTree(tree);
    let n = 0;
    const env = (account: string) => ({ BKV_SERVER: runtime.url, BKV_LOCAL_SECRET_FILE: runtime.secretFile, BKV_ACCOUNT: account, BKV_HOME: join(base, `home-${account}`) });
    // the repository the unchanged backups and the restores use, made by A (both builds read the same format)
    check(await bkv(['init', '--key'], env('shared'), undefined, builds.A), 'init');
    check(await bkv(['backup', '--quiet', tree], env('shared'), undefined, builds.A), 'backup');
    const scenarios: Record<string, (bin: string, first: boolean) => Promise<Sample>> = {
      'first backup': async (bin) => {
        const e = env(`fresh-${n++}`);
        const runs = [check(await bkv(['init', '--key'], e, undefined, bin), 'init'), check(await bkv(['backup', '--quiet', tree], e, undefined, bin), 'backup')];
        await rm(e.BKV_HOME, { recursive: true, force: true });
        return sample(runs);
      },
      'unchanged backup': async (bin) => sample([check(await bkv(['backup', '--quiet', tree], env('shared'), undefined, bin), 'backup')]),
      'restore latest': async (bin, first) => {
        const out = join(base, `out-${n++}`);
        const r = check(await bkv(['restore', 'latest', out], env('shared'), undefined, bin), 'restore');
        if (first && !sameDigest(await digestTree(join(out, 'tree')), digest)) throw new Error(`${bin}: the restore differs from the tree`);
        await rm(out, { recursive: true, force: true });
        return sample([r]);
      },
    };
    console.log(`A = ${builds.A}\nB = ${builds.B}\n${FILES} files + ${BIG_MIB} MiB, ${PAIRS} pairs per scenario (one warm-up pair first)`);
    console.log('| A/B, whole processes | pairs | wall | CPU | peak RSS A / B |\n| --- | --- | --- | --- | --- |');
    for (const [name, run] of Object.entries(scenarios)) {
      await run(builds.A, true);
      await run(builds.B, true);
      const a: Sample[] = [];
      const b: Sample[] = [];
      for (let i = 0; i < PAIRS; i++) {
        a.push(await run(builds.A, false));
        b.push(await run(builds.B, false));
      }
      const wall = a.map((x, i) => x.seconds / b[i]!.seconds);
      const cpu = a.map((x, i) => x.cpu / b[i]!.cpu);
      console.log(`| ${name} | ${PAIRS} | ${fmt(median(wall), 3)} (${fmt(Math.min(...wall), 2)}–${fmt(Math.max(...wall), 2)}) | ${fmt(median(cpu), 3)} | ${fmt(median(a.map((x) => x.rss)))} / ${fmt(median(b.map((x) => x.rss)))} MiB |`);
    }
  } finally {
    load.push(loadavg()[0]!);
    console.log(`1-minute load average: ${load.map((l) => l.toFixed(2)).join(' at start, ')} at the end`);
    await runtime.stop();
    await rm(base, { recursive: true, force: true });
  }
}

await main();
