// `npm run bench:crypto`: encrypt and decrypt 1 GiB of backup data from memory to nowhere, ours against the Go
// `age` CLI on the same bytes in the same run (age reads /dev/shm and writes /dev/null), with OpenSSL's
// chacha20-poly1305 speed as the ceiling. Ours is measured in process (a Readable over the buffer in 64 KiB
// pieces → our Transform → a sink that drops everything) and as a `bkv encrypt|decrypt`-style child process
// (stdin from /dev/shm, stdout to /dev/null; bundled with esbuild, so no tsx) whose peak RSS is the memory figure. Each measurement is taken
// BENCH_RUNS times, ours and age alternating; best and median are reported. Writes its section of
// docs/benchmarks.md. Env: BENCH_BYTES (default 1 GiB), BENCH_RUNS (default 3).

import { buildSync } from 'esbuild';
import { execFileSync, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { defaultWorkers } from '../client/age/batch-transform.js';
import { backupAgeIdentity, backupAgeRecipient, createBackupDecryptStream, createBackupEncryptStream } from '../client/backup-crypto.js';
import { formatBackupKey, newBackupKey } from '../client/backup-key.js';
import { machineNote, writeSection } from './report.js';

const SIZE = Number(process.env.BENCH_BYTES ?? 2 ** 30);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PIECE = 64 * 1024;
const GNU_TIME = '/usr/bin/time';
const CHILD_SOURCE = resolve('bench/crypto-child.ts');
const WORKER_FILES = ['chunk-worker.js', 'stream-chunks.js'].map((f) => resolve('client/age', f));

/** Bundles the child with esbuild (plain `node`, no tsx in its memory); the worker files sit beside it. */
function buildChild(dir: string): string {
  const outfile = join(dir, 'crypto-child.mjs');
  buildSync({ entryPoints: [CHILD_SOURCE], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'warning' });
  for (const f of WORKER_FILES) copyFileSync(f, join(dir, f.split('/').pop()!));
  return outfile;
}

interface Sample {
  seconds: number;
  rssKiB?: number;
}

/** A Readable over `buf` in PIECE-sized slices (no copies), like a file read stream. */
function fromMemory(buf: Buffer): Readable {
  let off = 0;
  return new Readable({
    highWaterMark: PIECE,
    read() {
      if (off >= buf.length) {
        this.push(null);
        return;
      }
      this.push(buf.subarray(off, off + PIECE));
      off += PIECE;
    },
  });
}

const nowhere = (): Writable => new Writable({ highWaterMark: 1 << 20, write: (_c, _e, cb) => cb() });

async function inProcess(input: Buffer, transform: Transform): Promise<Sample> {
  const started = performance.now();
  await pipeline(fromMemory(input), transform, nowhere());
  return { seconds: (performance.now() - started) / 1000 };
}

/** Runs `cmd args` with stdin from `inputPath` and stdout to /dev/null; returns wall time and stderr. */
function runProcess(cmd: string, args: string[], inputPath: string): Promise<{ seconds: number; stderr: string }> {
  return new Promise((done, fail) => {
    const stdin = openSync(inputPath, 'r');
    const stdout = openSync('/dev/null', 'w');
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: [stdin, stdout, 'pipe'] });
    if (child.stderr === null) throw new Error('no stderr pipe');
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      closeSync(stdin);
      closeSync(stdout);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) fail(new Error(`${cmd} exited ${code}: ${stderr.trim()}`));
      else done({ seconds, stderr });
    });
  });
}

/** The `age` CLI, under GNU time for its peak RSS when that is installed. */
async function ageCli(args: string[], inputPath: string): Promise<Sample> {
  if (!existsSync(GNU_TIME)) return { seconds: (await runProcess('age', args, inputPath)).seconds };
  const r = await runProcess(GNU_TIME, ['-f', 'maxrss=%M', 'age', ...args], inputPath);
  return { seconds: r.seconds, rssKiB: Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]) };
}

/** Our child process: its own pipeline time (excluding Node and tsx start-up) and peak RSS. */
async function oursChild(child: string, mode: 'encrypt' | 'decrypt', keyFile: string, inputPath: string, workers: number): Promise<Sample> {
  const r = await runProcess(process.execPath, [child, mode, keyFile, String(workers)], inputPath);
  const report = JSON.parse(r.stderr.trim().split('\n').pop()!) as { seconds: number; maxRssKiB: number };
  return { seconds: report.seconds, rssKiB: report.maxRssKiB };
}

/** OpenSSL's chacha20-poly1305 speed on 64 KiB blocks, in MB/s, on `cores` processes. */
function opensslSpeed(cores: number): number {
  const args = ['speed', ...(cores > 1 ? ['-multi', String(cores)] : []), '-evp', 'chacha20-poly1305', '-bytes', '65536', '-seconds', '3'];
  const out = execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  const m = /ChaCha20-Poly1305\s+([\d.]+)k\s*$/m.exec(out);
  return m ? Number(m[1]) / 1000 : Number.NaN;
}

const mbps = (s: Sample): number => SIZE / s.seconds / 1e6;
const best = (xs: Sample[]): number => Math.max(...xs.map(mbps));
const median = (xs: Sample[]): number => {
  const v = xs.map(mbps).sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)]!;
};
const peak = (xs: Sample[]): number | undefined => (xs.some((x) => x.rssKiB === undefined) ? undefined : Math.max(...xs.map((x) => x.rssKiB!)));
const fmt = (xs: Sample[]): string => `${best(xs).toFixed(0)} (${median(xs).toFixed(0)})`;
const mib = (kib: number | undefined): string => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`);

async function main(): Promise<void> {
  const shm = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(shm, 'bkv-bench-'));
  try {
    const load = loadavg()[0]!.toFixed(2);
    const ageVersion = execFileSync('age', ['--version']).toString().trim();
    const opensslVersion = execFileSync('openssl', ['version']).toString().trim().split(' ').slice(0, 2).join(' ');
    const key = newBackupKey();
    const keyFile = join(dir, 'key');
    const identityFile = join(dir, 'identity');
    writeFileSync(keyFile, `${formatBackupKey(key)}\n`, { mode: 0o600 });
    writeFileSync(identityFile, `${backupAgeIdentity(key)}\n`, { mode: 0o600 });
    const recipient = backupAgeRecipient(key);
    const child = buildChild(dir);

    process.stderr.write(`bench:crypto: ${SIZE} bytes, ${RUNS} runs, data in ${dir}\n`);
    const plain = randomFillSync(Buffer.allocUnsafe(SIZE));
    const plainPath = join(dir, 'plain');
    writeFileSync(plainPath, plain);
    const sealedPath = join(dir, 'plain.age');
    const parts: Buffer[] = [];
    await pipeline(fromMemory(plain), createBackupEncryptStream(key), new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), cb()) }));
    const sealed = Buffer.concat(parts);
    parts.length = 0;
    writeFileSync(sealedPath, sealed);

    const W = defaultWorkers();
    const variants = [...new Set([W, 0, 2])]; // the default, and this thread only vs two worker threads
    const enc = new Map(variants.map((w) => [w, [] as Sample[]]));
    const dec = new Map(variants.map((w) => [w, [] as Sample[]]));
    const encChild = new Map(variants.map((w) => [w, [] as Sample[]]));
    const decChild = new Map(variants.map((w) => [w, [] as Sample[]]));
    const r = { encChild: encChild.get(W)!, encAge: [] as Sample[], decChild: decChild.get(W)!, decAge: [] as Sample[], encOurs: enc.get(W)!, decOurs: dec.get(W)! };
    for (let i = 0; i < RUNS; i++) {
      for (const w of variants) enc.get(w)!.push(await inProcess(plain, createBackupEncryptStream(key, { workers: w })));
      r.encAge.push(await ageCli(['-r', recipient, '-o', '/dev/null'], plainPath));
      for (const w of variants) encChild.get(w)!.push(await oursChild(child, 'encrypt', keyFile, plainPath, w));
      for (const w of variants) dec.get(w)!.push(await inProcess(sealed, createBackupDecryptStream(key, { workers: w })));
      r.decAge.push(await ageCli(['-d', '-i', identityFile, '-o', '/dev/null'], sealedPath));
      for (const w of variants) decChild.get(w)!.push(await oursChild(child, 'decrypt', keyFile, sealedPath, w));
      process.stderr.write(`  run ${i + 1}/${RUNS}: enc ${mbps(r.encOurs[i]!).toFixed(0)} vs age ${mbps(r.encAge[i]!).toFixed(0)}, dec ${mbps(r.decOurs[i]!).toFixed(0)} vs age ${mbps(r.decAge[i]!).toFixed(0)} MB/s\n`);
    }
    const ceiling1 = opensslSpeed(1);
    const ceiling2 = opensslSpeed(2);

    const rows = [
      '| | encrypt MB/s | decrypt MB/s | peak RSS (enc / dec) |',
      '| --- | --- | --- | --- |',
      ...variants.map((w) => `| ours, in process (memory → nowhere), ${w === 0 ? 'no worker threads' : `${w} worker threads`}${w === W ? ' (default)' : ''} | ${fmt(enc.get(w)!)} | ${fmt(dec.get(w)!)} | (holds the 1 GiB input) |`),
      ...variants.map((w) => `| ours, \`bkv\`-style child (stdin /dev/shm → /dev/null), ${w === 0 ? 'no worker threads' : `${w} worker threads`}${w === W ? ' (default)' : ''} | ${fmt(encChild.get(w)!)} | ${fmt(decChild.get(w)!)} | ${mib(peak(encChild.get(w)!))} / ${mib(peak(decChild.get(w)!))} |`),
      `| ${ageVersion === '' ? 'age' : `age ${ageVersion}`} CLI (/dev/shm → /dev/null) | ${fmt(r.encAge)} | ${fmt(r.decAge)} | ${mib(peak(r.encAge))} / ${mib(peak(r.decAge))} |`,
      `| **ours ÷ age** (in process, default, best) | **${(best(r.encOurs) / best(r.encAge)).toFixed(2)}×** | **${(best(r.decOurs) / best(r.decAge)).toFixed(2)}×** | |`,
      `| ours ÷ age (child, default, best) | ${(best(r.encChild) / best(r.encAge)).toFixed(2)}× | ${(best(r.decChild) / best(r.decAge)).toFixed(2)}× | |`,
      `| ceiling: ${opensslVersion} \`speed -evp chacha20-poly1305\`, 64 KiB, 1 core / 2 processes | ${ceiling1.toFixed(0)} / ${ceiling2.toFixed(0)} | | |`,
    ];
    const table = rows.join('\n');
    process.stdout.write(`${table}\n`);
    await writeSection('## Backup encryption (`npm run bench:crypto`)', `
Command: \`npm run bench:crypto\` (BENCH_BYTES=${SIZE}, BENCH_RUNS=${RUNS}): MB/s = 10^6 bytes/s of plaintext, best of ${RUNS} with the
median in parentheses; ours and age alternate, on the same random bytes (in memory and in /dev/shm).
Machine: ${machineNote()}; 1-minute load average at start ${load} (other jobs shared the machine). Worker
threads (opt-in, \`workers: n\`; the default is ${W === 0 ? 'none' : W}) take over after the first 4 MiB. The child
is bundled with esbuild and run by plain \`node\` (a bare Node process is ~40 MiB); its times exclude Node
start-up, age's include its own (~5 ms). Peak RSS is maxrss (GNU time for age).

${table}

Reading: the goal was at least 1.5× the age CLI both ways with peak RSS under 100 MiB. Memory is met here but
with little margin: V8 frees consumed buffers in bursts (every ~64 MiB of them), and ad-hoc runs on this machine
peaked between 88 and 124 MiB. Speed is not met, on this machine. Per core, node:crypto's ChaCha20-Poly1305 runs at about half of OpenSSL's raw figure
above: every 64 KiB chunk needs its own cipher object (a new nonce), and \`update\` always returns a fresh output
buffer (nothing can be sealed in place), while Go's age seals in place with stitched AVX2 assembly. Worker
threads did not close the gap (rows above): copying into and out of shared memory plus the extra threads cost
about what the second vCPU brings, so they are opt-in.
`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
