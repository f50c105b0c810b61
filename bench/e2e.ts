// `npm run bench:e2e`: snapshots through the `bkv` CLI against `npm start`'s runtime, next to restic (Debian's
// `restic`) with a local repository and with a REST server on this machine (`rclone serve restic`, Debian's
// `rclone`: like bkv, it pays for a storage server on the same cores), on the same tree in the same run, all as
// whole processes under GNU time. BENCH_BASELINE=<another checkout> adds that checkout's `bkv` CLI (its own
// `npm ci` done) against the same runtime, alternating with this one: an A/B of two builds in one run.
// Everything lives in /dev/shm (the source tree, the runtime's data dir, restic's repository and cache, the
// restored trees), so the figures are about CPU and the software stack, not the disk. Per run, each tool in turn:
// a first backup into an empty repository, the same tree again (unchanged), a restore of the latest snapshot
// (checked byte-identical on the first run), and 1% of a large file changed in place then backed up again (the
// bytes each repository grew by). Then time and peak RSS of a backup and a restore of many small files
// (BENCH_MANY_FILES).
// Writes its section of docs/benchmarks.md (not with BENCH_NO_WRITE=1); BENCH_BYTES (default 1 GiB) and BENCH_RUNS
// (default 3) scale it.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { freemem, loadavg } from 'node:os';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bkv, check, digestTree, fmt, makeTree, median, sameDigest, startRuntime, timed, type Runtime, type Timed } from './cli-harness.js';
import { machineNote, writeSection } from './report.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const BYTES = Number(process.env.BENCH_BYTES ?? GiB);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MANY_FILES = (process.env.BENCH_MANY_FILES ?? '10000,100000,200000').split(',').map(Number).filter((n) => n > 0);

/** User + system CPU seconds a process has used so far, its threads included (/proc/<pid>/stat). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Files (not directories) under `dir`. */
function countFiles(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

/** Bytes under `dir` (GNU du, apparent sizes). */
function duBytes(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/** Overwrites `fraction` of the file at `path` in place, in the middle, with fresh random bytes. */
async function changeInPlace(path: string, size: number, fraction: number): Promise<number> {
  const n = Math.floor(size * fraction);
  const buf = randomFillSync(Buffer.allocUnsafe(n));
  const fh = await open(path, 'r+');
  try {
    await fh.write(buf, 0, n, Math.floor(size / 2));
  } finally {
    await fh.close();
  }
  return n;
}

/**
 * Writes and deletes a file in /dev/shm of what one run needs (its repositories and restores are deleted at its
 * end; at most 60% of free memory), so that the guest pages both tools write to have been touched once before.
 * Returns its size.
 */
function warmMemory(path: string): number {
  const bytes = Math.min(BYTES * 6, Math.floor(freemem() * 0.6));
  const mib = Math.floor(bytes / MiB);
  execFileSync('dd', ['if=/dev/zero', `of=${path}`, 'bs=1M', `count=${mib}`, 'status=none']);
  rmSync(path, { force: true });
  return mib * MiB;
}

interface Tool {
  name: string;
  /** Makes an empty repository (not timed). */
  init(run: number): Promise<void>;
  backup(run: number, dir?: string): Promise<Timed>;
  restore(run: number, out: string): Promise<Timed>;
  /** Where the restored copy of `dir` (default: the source tree) is under `out`. */
  restored(out: string, dir?: string): string;
  /** Bytes the repository holds now. */
  stored(run: number): number;
  /** Deletes the run's repository (its pages are then reused by the next run's). */
  drop(run: number): void;
  /** The process whose CPU a command also costs (a storage server), if any. */
  server?: () => number | undefined;
}

/** A free TCP port on loopback. */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

/** `rclone serve restic` over `dir` on loopback (restic's REST protocol; one repository per path). */
async function startRestServer(dir: string): Promise<{ url: string; child: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn('rclone', ['serve', 'restic', '--addr', `127.0.0.1:${port}`, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`rclone serve restic ended: ${log.slice(-500)}`);
    const ok = await fetch(`${url}/`).then(() => true, () => false);
    if (ok) break;
    if (i > 100) throw new Error('rclone serve restic did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, stop: () => new Promise((done) => (child.exitCode !== null ? done() : (child.once('exit', () => done()), child.kill()))) };
}

/** The account directories of the local object store (`<data>/objects/<bucket>/accounts/*`). */
function accountDirs(serverData: string): string[] {
  const objects = join(serverData, 'objects');
  if (!existsSync(objects)) return [];
  return readdirSync(objects).flatMap((bucket) => {
    const accounts = join(objects, bucket, 'accounts');
    return existsSync(accounts) ? readdirSync(accounts).map((a) => join(accounts, a)) : [];
  });
}

async function main(): Promise<void> {
  const shm = await mkdtemp(join('/dev/shm', 'bkv-e2e-'));
  let runtime: Runtime | undefined;
  let restServer: Awaited<ReturnType<typeof startRestServer>> | undefined;
  const load = loadavg()[0]!;
  try {
    const src = join(shm, 'src');
    process.stdout.write(`making ${fmt(BYTES / GiB, 2)} GiB of test data…\n`);
    const tree = await makeTree(src, { bytes: BYTES, smallBytes: Math.floor(BYTES / 8), largeFiles: 4 });
    const digest = await digestTree(src);
    const warmed = warmMemory(join(shm, 'warm'));
    const serverData = join(shm, 'server-data');
    runtime = await startRuntime(serverData);
    const home = (run: number) => join(shm, `home-${run}`);
    const env = (run: number) => ({ BKV_SERVER: runtime!.url, BKV_ACCOUNT: `bench-${run}`, BKV_LOCAL_SECRET_FILE: runtime!.secretFile, BKV_HOME: home(run) });
    const resticEnv = (run: number) => ({ ...process.env, RESTIC_REPOSITORY: join(shm, `restic-${run}`), RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: join(shm, 'restic-cache') });
    const restic = (run: number, args: string[]) => timed('restic', ['--quiet', ...args], resticEnv(run));
    const resticVersion = execFileSync('restic', ['version'], { encoding: 'utf8' }).trim();

    const restServerDir = join(shm, 'rest-server');
    await mkdir(restServerDir);
    restServer = await startRestServer(restServerDir);
    const restUrl = restServer.url;
    const restEnv = (run: number) => ({ ...resticEnv(run), RESTIC_REPOSITORY: `rest:${restUrl}/restic-${run}/` });
    const restic2 = (run: number, args: string[]) => timed('restic', ['--quiet', ...args], restEnv(run));
    const rcloneVersion = execFileSync('rclone', ['version'], { encoding: 'utf8' }).split('\n')[0]!.trim();

    /** A bkv CLI (this checkout's, or the baseline's) with an account and a home per run. */
    const bkvTool = (name: string, bin: string | undefined, account: string): Tool => {
      const e = (run: number) => ({ ...env(run), BKV_ACCOUNT: `${account}-${run}`, BKV_HOME: join(shm, `home-${account}-${run}`) });
      // the account directory each run's repository made (the local object store names it by the token's account)
      const owned = new Map<number, string[]>();
      return {
        name,
        init: async (run) => {
          const before = new Set(accountDirs(serverData));
          check(await bkv(['init', '--key'], e(run), undefined, bin), `${name} init`);
          owned.set(run, accountDirs(serverData).filter((d) => !before.has(d)));
        },
        backup: async (run, dir = src) => check(await bkv(['backup', '--quiet', dir], e(run), undefined, bin), `${name} backup`),
        restore: async (run, out) => check(await bkv(['restore', 'latest', out], e(run), undefined, bin), `${name} restore`),
        restored: (out, dir = src) => join(out, dir.split('/').at(-1)!),
        stored: () => duBytes(serverData),
        drop: (run) => {
          for (const d of owned.get(run) ?? []) rmSync(d, { recursive: true, force: true });
        },
        server: () => runtime!.child.pid,
      };
    };
    const baseline = process.env.BENCH_BASELINE ? resolve(process.env.BENCH_BASELINE) : undefined;
    const tools: Tool[] = [
      bkvTool('bkv', undefined, 'bench'),
      ...(baseline !== undefined ? [bkvTool('bkv baseline', join(baseline, 'bin/bkv.js'), 'base')] : []),
      {
        name: 'restic',
        init: async (run) => void check(await restic(run, ['init']), 'restic init'),
        backup: async (run, dir = src) => check(await restic(run, ['backup', dir]), 'restic backup'),
        restore: async (run, out) => check(await restic(run, ['restore', 'latest', '--target', out]), 'restic restore'),
        restored: (out, dir = src) => join(out, dir),
        stored: (run) => duBytes(join(shm, `restic-${run}`)),
        drop: (run) => rmSync(join(shm, `restic-${run}`), { recursive: true, force: true }),
      },
      {
        name: 'restic over HTTP',
        init: async (run) => void check(await restic2(run, ['init']), 'restic init (REST)'),
        backup: async (run, dir = src) => check(await restic2(run, ['backup', dir]), 'restic backup (REST)'),
        restore: async (run, out) => check(await restic2(run, ['restore', 'latest', '--target', out]), 'restic restore (REST)'),
        restored: (out, dir = src) => join(out, dir),
        stored: (run) => duBytes(join(restServerDir, `restic-${run}`)),
        drop: (run) => rmSync(join(restServerDir, `restic-${run}`), { recursive: true, force: true }),
        server: () => restServer!.child.pid,
      },
    ];
    type Figures = { first: Timed[]; again: Timed[]; restore: Timed[]; changed: number[]; server: { first: number[]; again: number[]; restore: number[] } };
    const figures = new Map<string, Figures>(tools.map((t) => [t.name, { first: [], again: [], restore: [], changed: [], server: { first: [], again: [], restore: [] } }]));
    /** Runs `step`, also recording the CPU seconds the tool's storage server (if any) spent meanwhile. */
    const serverCpu = async <T>(tool: Tool, into: number[], step: () => Promise<T>): Promise<T> => {
      const pid = tool.server?.();
      const before = pid === undefined ? 0 : cpuOf(pid);
      const result = await step();
      into.push(pid === undefined ? 0 : cpuOf(pid) - before);
      return result;
    };
    const large = join(src, 'large', 'big0.bin');
    const largeSize = Math.floor((BYTES - Math.floor(BYTES / 8)) / 4);
    let changedBytes = 0;
    for (let run = 0; run < RUNS; run++) {
      process.stdout.write(`run ${run + 1}/${RUNS}\n`);
      // which tool goes first alternates from run to run
      for (const tool of run % 2 === 0 ? tools : [...tools].reverse()) {
        const f = figures.get(tool.name)!;
        await tool.init(run);
        f.first.push(await serverCpu(tool, f.server.first, () => tool.backup(run)));
        f.again.push(await serverCpu(tool, f.server.again, () => tool.backup(run)));
        const out = join(shm, 'out');
        await rm(out, { recursive: true, force: true });
        await mkdir(out);
        f.restore.push(await serverCpu(tool, f.server.restore, () => tool.restore(run, out)));
        if (run === 0 && !sameDigest(digest, await digestTree(tool.restored(out)))) throw new Error(`${tool.name} restore is not byte-identical`);
        await rm(out, { recursive: true, force: true });
        process.stdout.write(`  ${tool.name}: first ${fmt(f.first.at(-1)!.seconds, 2)} s, unchanged ${fmt(f.again.at(-1)!.seconds, 2)} s, restore ${fmt(f.restore.at(-1)!.seconds, 2)} s\n`);
      }
      // the same edit for both tools: change, back up with each, measure what each repository grew by
      changedBytes = await changeInPlace(large, largeSize, 0.01);
      for (const tool of tools) {
        const before = tool.stored(run);
        await tool.backup(run);
        figures.get(tool.name)!.changed.push(tool.stored(run) - before);
        tool.drop(run);
      }
    }

    // memory as the number of files grows: many small files, one backup and one restore each
    const many: { files: number; backup: Map<string, Timed>; restore: Map<string, Timed> }[] = [];
    for (const [i, files] of MANY_FILES.entries()) {
      const dir = join(shm, `many-${files}`);
      for (let d = 0; d * 1000 < files; d++) {
        await mkdir(join(dir, `d${d}`), { recursive: true });
        await Promise.all(Array.from({ length: Math.min(1000, files - d * 1000) }, (_, j) => writeFile(join(dir, `d${d}`, `f${j}`), `file ${d}/${j}\n`)));
      }
      const run = 100 + i;
      const m = { files, backup: new Map<string, Timed>(), restore: new Map<string, Timed>() };
      for (const tool of i % 2 === 0 ? tools : [...tools].reverse()) {
        await tool.init(run);
        m.backup.set(tool.name, await tool.backup(run, dir));
        const out = join(shm, 'out');
        await rm(out, { recursive: true, force: true });
        await mkdir(out);
        m.restore.set(tool.name, await tool.restore(run, out));
        const n = countFiles(out);
        if (n !== files) throw new Error(`${tool.name} restored ${n} of ${files} files`);
        await rm(out, { recursive: true, force: true });
        tool.drop(run);
      }
      many.push(m);
      await rm(dir, { recursive: true, force: true });
    }

    const med = (xs: Timed[]) => median(xs.map((x) => x.seconds));
    const cell = (t: Timed) => `${fmt(t.seconds, 2)} s, ${fmt(t.rssMiB, 0)} MiB`;
    const rss = (xs: Timed[]) => Math.max(...xs.map((x) => x.rssMiB));
    const mbs = (xs: Timed[]) => tree.bytes / 1e6 / med(xs);
    const ours = figures.get('bkv')!;
    const ratio = (a: Timed[], b: Timed[]) => med(b) / med(a);
    const cpu = (xs: Timed[]) => median(xs.map((x) => x.cpuSeconds));
    const row = (name: string, f: Figures) =>
      `| ${name} | ${fmt(med(f.first), 2)} s (${fmt(mbs(f.first), 0)} MB/s) | ${fmt(med(f.again), 2)} s | ${fmt(med(f.restore), 2)} s (${fmt(mbs(f.restore), 0)} MB/s) | ${fmt(median(f.changed) / MiB, 2)} MiB | ${fmt(rss(f.first), 0)} / ${fmt(rss(f.restore), 0)} MiB | ${fmt(cpu(f.first), 1)} / ${fmt(cpu(f.again), 1)} / ${fmt(cpu(f.restore), 1)} s |`;
    const serverRow = (name: string, f: Figures) =>
      `| ${name}, meanwhile | | | | | | ${fmt(median(f.server.first), 1)} / ${fmt(median(f.server.again), 1)} / ${fmt(median(f.server.restore), 1)} s |`;
    const ratioRow = (peer: string) => {
      const p = figures.get(peer)!;
      return `| **bkv speed ÷ ${peer}** | **${fmt(ratio(ours.first, p.first), 2)}×** | **${fmt(ratio(ours.again, p.again), 2)}×** | **${fmt(ratio(ours.restore, p.restore), 2)}×** | | | |`;
    };
    const rows = tools.flatMap((t) => {
      const f = figures.get(t.name)!;
      const server = t.name === 'restic over HTTP' ? 'rclone serve restic' : t.name === 'restic' ? undefined : `${t.name}'s runtime`;
      return server === undefined ? [row(t.name, f)] : [row(t.name, f), serverRow(server, f)];
    });
    const peers = tools.map((t) => t.name).filter((n) => n !== 'bkv');
    /** The A/B noise: bkv ÷ baseline speed in each run (its spread is what a difference must exceed). */
    const abSpread = () => {
      const b = figures.get('bkv baseline')!;
      const per = (k: 'first' | 'again' | 'restore') => ours[k].map((x, i) => fmt(b[k][i]!.seconds / x.seconds, 2)).join(', ');
      const mem = (k: 'first' | 'restore') => ours[k].map((x, i) => fmt(x.rssMiB / b[k][i]!.rssMiB, 3)).join(', ');
      return `A/B per run (bkv speed ÷ baseline): first ${per('first')}; unchanged ${per('again')}; restore ${per('restore')}. `
        + `Peak RSS bkv ÷ baseline per run: backup ${mem('first')}; restore ${mem('restore')}.`;
    };
    const end = loadavg()[0]!;
    const body = `
Command: \`${baseline !== undefined ? 'BENCH_BASELINE=<checkout> ' : ''}npm run bench:e2e\` (BENCH_BYTES=${BYTES}, BENCH_RUNS=${RUNS}): ${tree.files} files of random data
(${fmt(BYTES / 8 / GiB, 3)} GiB in files of 1 B–64 KiB, the rest in 4 large files of ${fmt(largeSize / MiB, 0)} MiB).
Machine: ${machineNote()}; 1-minute load average ${fmt(load, 2)} at start, ${fmt(end, 2)} at the end. Before the
runs ${fmt(warmed / GiB, 1)} GiB were written to /dev/shm and deleted, and each run's repositories are deleted at its end,
so that no tool pays this VM's first touch of guest memory (several times the cost of reusing it) for its
repository or restore. Everything in /dev/shm: the tree, the
runtime's data dir, restic's repositories and cache, the restores. bkv = the whole \`bkv\` process against \`npm start\`'s
runtime (its HTTP API, presigned URLs and object store, on the same two cores); restic = \`${resticVersion}\`,
defaults, a local repository; restic over HTTP = the same restic against \`${rcloneVersion} serve restic\` (a REST
server on the same two cores, as bkv's runtime is).${baseline !== undefined ? ' bkv baseline = the `bkv` CLI of another checkout (the build before a change) against the same runtime, in the same run.' : ''}
Each run starts every tool from an empty repository; the tools take turns (and the order reverses from run to run).
Times are medians of ${RUNS} runs (wall clock of the whole process); MB/s = 10^6 bytes of file content per second.
"1% changed" = ${fmt(changedBytes / MiB, 2)} MiB overwritten in place in the middle of one large file, then a
backup: what the repository grew by (\`du -sb\`). CPU = user + system seconds of the tool's process; a storage
server's own row gives the CPU seconds its process used during each command (from /proc).

| | first backup | unchanged, again | restore latest | 1% changed: stored | peak RSS (backup / restore) | CPU (first / again / restore) |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
${peers.map(ratioRow).join('\n')}

${baseline !== undefined ? `${abSpread()}\n\n` : ''}Every restore of the first run was checked byte-identical (SHA-256 of every file, symlinks by target).

Memory as files grow (N small files in directories of 1,000: one backup into an empty repository, then a restore
of it, checked by file count; time and peak RSS of the whole process, one run each):

| files | ${tools.map((t) => `${t.name} backup`).join(' | ')} | ${tools.map((t) => `${t.name} restore`).join(' | ')} |
| --- | ${tools.map(() => '---').join(' | ')} | ${tools.map(() => '---').join(' | ')} |
${many.map((m) => `| ${m.files} | ${tools.map((t) => cell(m.backup.get(t.name)!)).join(' | ')} | ${tools.map((t) => cell(m.restore.get(t.name)!)).join(' | ')} |`).join('\n')}
`;
    if (!process.env.BENCH_NO_WRITE) await writeSection('## End to end (`npm run bench:e2e`)', body);
    process.stdout.write(body);
  } finally {
    await runtime?.stop();
    await restServer?.stop();
    await rm(shm, { recursive: true, force: true });
  }
}

await main();
