// Harness shared by `npm run test:big` and `npm run bench:e2e`: a local runtime in a child process on a free
// port, the `bkv` CLI run under GNU time (wall time and peak RSS of the CLI process, worker threads included),
// synthetic directory trees, and a tree comparison by SHA-256 of every file.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, lstat, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { freePort } from '../local/free-port.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BKV_BIN = join(ROOT, 'bin/bkv.js');
const GNU_TIME = '/usr/bin/time';
const MiB = 1024 * 1024;

export interface Runtime {
  url: string;
  child: ChildProcess;
  /** The runtime's scripts shortcut (BKV_LOCAL_SECRET_FILE for the CLI with BKV_ACCOUNT; README "Scripts and tests"). */
  secretFile: string;
  stop(): Promise<void>;
}

export async function startRuntime(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Runtime> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, BKV_PORT: String(port), BKV_DATA_DIR: dataDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...extraEnv },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening on')) res();
    });
    child.once('exit', (code) => rej(new Error(`local runtime exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    secretFile: join(dataDir, 'local-token-secret'),
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export interface Timed {
  code: number;
  seconds: number;
  /** Peak resident set size of the process, in MiB (GNU time's maxrss). */
  rssMiB: number;
  /** User + system CPU seconds of the process (GNU time), worker threads included. */
  cpuSeconds: number;
  /** System CPU seconds alone. */
  sysSeconds: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` under GNU time -v; `stdin` is text or a file path opened for reading. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: { text?: string; file?: string }): Promise<Timed> {
  return new Promise((done, fail) => {
    const child = spawn(GNU_TIME, ['-v', cmd, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    if (input?.file) createReadStream(input.file).pipe(child.stdin);
    else child.stdin.end(input?.text ?? '');
    const started = performance.now();
    child.once('error', fail);
    child.once('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const cpu = (label: string) => Number(new RegExp(`${label} time \\(seconds\\): ([\\d.]+)`).exec(stderr)?.[1] ?? Number.NaN);
      done({ code: code ?? 1, seconds, rssMiB: rss ? Number(rss[1]) / 1024 : Number.NaN, cpuSeconds: cpu('User') + cpu('System'), sysSeconds: cpu('System'), stdout, stderr: stderr.replace(/\n\tCommand being timed[\s\S]*$/, '') });
    });
  });
}

/** Runs the `bkv` CLI (this checkout's, or `bin`: another checkout's bin/bkv.js for an A/B run) as a whole process. */
export function bkv(args: string[], env: Record<string, string>, stdin?: string, bin = BKV_BIN): Promise<Timed> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BKV_')) clean[k] = v;
  return timed(process.execPath, [bin, ...args], { ...clean, ...env }, stdin === undefined ? undefined : { text: stdin });
}

/** Writes `bytes` of random data to `path` in 8 MiB pieces. */
async function randomFile(path: string, bytes: number, scratch: Buffer): Promise<void> {
  const fh = await open(path, 'w');
  try {
    for (let done = 0; done < bytes;) {
      const n = Math.min(scratch.length, bytes - done);
      randomFillSync(scratch, 0, n);
      await fh.write(scratch, 0, n);
      done += n;
    }
  } finally {
    await fh.close();
  }
}

export interface TreeSpec {
  /** Total bytes of file content. */
  bytes: number;
  /** Bytes that go to small files (1 B–64 KiB, spread over directories of 100 files). */
  smallBytes: number;
  /** Number of large files sharing the rest. */
  largeFiles: number;
}

/** Makes a tree of random data: many small files in nested directories plus a few large ones. */
export async function makeTree(root: string, spec: TreeSpec): Promise<{ files: number; bytes: number }> {
  const scratch = Buffer.allocUnsafe(8 * MiB);
  let files = 0;
  let bytes = 0;
  let small = 0;
  let dir = '';
  // deterministic sizes from a small LCG so runs are comparable
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  while (small < spec.smallBytes) {
    if (files % 100 === 0) {
      dir = join(root, 'small', `d${Math.floor(files / 1000)}`, `e${Math.floor(files / 100) % 10}`);
      await mkdir(dir, { recursive: true });
    }
    const size = Math.min(1 + (next() % (64 * 1024)), spec.smallBytes - small);
    await randomFile(join(dir, `f${files}.bin`), size, scratch);
    small += size;
    files++;
  }
  bytes += small;
  await mkdir(join(root, 'large'), { recursive: true });
  const rest = spec.bytes - small;
  for (let i = 0; i < spec.largeFiles; i++) {
    const size = i < spec.largeFiles - 1 ? Math.floor(rest / spec.largeFiles) : rest - Math.floor(rest / spec.largeFiles) * (spec.largeFiles - 1);
    await randomFile(join(root, 'large', `big${i}.bin`), size, scratch);
    files++;
    bytes += size;
  }
  return { files, bytes };
}

async function hashFile(path: string): Promise<string> {
  const h = createHash('sha256');
  await pipeline(createReadStream(path, { highWaterMark: 4 * MiB }), h);
  return h.digest('hex');
}

/** path → sha256 (files), 'dir', or '-> target' (symlinks) for every entry under `root`. */
export async function digestTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(rel: string): Promise<void> {
    for (const name of (await readdir(join(root, rel))).sort()) {
      const path = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(root, path));
      if (st.isSymbolicLink()) out.set(path, `-> ${await readlink(join(root, path))}`);
      else if (st.isDirectory()) {
        out.set(path, 'dir');
        await walk(path);
      } else out.set(path, `${st.size} ${await hashFile(join(root, path))}`);
    }
  }
  await walk('');
  return out;
}

export function sameDigest(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

export const fmt = (n: number, digits = 1) => n.toFixed(digits);

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `r`, when its process exited 0; else an error naming `what` and the end of its stderr. */
export function check(r: Timed, what: string): Timed {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr.slice(-2000)}`);
  return r;
}
export const mbps = (bytes: number, seconds: number) => bytes / 1e6 / seconds;
