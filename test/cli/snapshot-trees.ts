// Shared set-up of the CLI snapshot tests: source trees with every kind of entry (modes, symlinks of every kind,
// hard links, sub-second mtimes), a comparison that hashes every file (type, mode minus the umask, content,
// µs mtime, link target, which paths are one hard-linked inode), the runtime's object directory, and `bkv` runs
// with a device ($BKV_HOME) on a test runtime.

import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BKV_BIN, bkv, cliEnv, type CliResult } from '../helpers/cli.js';
import type { TestRuntime } from '../helpers/local.js';

/** A temp directory on /dev/shm when there is one (the trees are written and read many times). */
export function scratch(prefix = 'bkv-cli-'): string {
  const base = lstatSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory() ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(base, prefix));
}

/** A deterministic pseudo-random buffer (incompressible, but the same for the same seed). */
export function noise(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  return out;
}

/** A tree with files, an empty file, modes (incl. setuid, 1777), every kind of symlink, hard links, µs mtimes. */
export function makeTree(root: string, options: { big?: number } = {}): void {
  mkdirSync(join(root, 'docs/deep/er'), { recursive: true });
  writeFileSync(join(root, 'docs/a.txt'), 'alpha\n');
  writeFileSync(join(root, 'docs/deep/er/b.bin'), noise(300_000, 7));
  writeFileSync(join(root, 'empty'), '');
  writeFileSync(join(root, 'text.log'), 'the same line, again and again\n'.repeat(20_000));
  writeFileSync(join(root, 'x'), 'x marks\n');
  writeFileSync(join(root, 'tool'), '#!/bin/sh\necho hi\n');
  chmodSync(join(root, 'tool'), 0o4755);
  writeFileSync(join(root, 'secret'), 'mine\n');
  chmodSync(join(root, 'secret'), 0o600);
  mkdirSync(join(root, 'shared'));
  chmodSync(join(root, 'shared'), 0o1777);
  mkdirSync(join(root, 'private'));
  chmodSync(join(root, 'private'), 0o700);
  symlinkSync('/etc/hostname', join(root, 'to-hostname'));
  symlinkSync('../x', join(root, 'docs/to-parent-x'));
  symlinkSync('a.txt', join(root, 'docs/to-sibling'));
  symlinkSync('nowhere/at/all', join(root, 'dangling'));
  symlinkSync('docs/deep', join(root, 'to-dir'));
  linkSync(join(root, 'docs/a.txt'), join(root, 'hard-a'));
  linkSync(join(root, 'docs/a.txt'), join(root, 'docs/deep/hard-a2'));
  if (options.big) writeFileSync(join(root, 'big.bin'), noise(options.big, 99));
  setMtime(join(root, 'docs/a.txt'), '1700000000.654321');
  setMtime(join(root, 'x'), '1600000001.000001');
  setMtime(join(root, 'to-hostname'), '1600000002.000003');
}

/** Sets an exact µs mtime (a JS number cannot carry 16 digits), on a symlink itself too. */
export function setMtime(path: string, seconds: string): void {
  execFileSync('touch', ['-h', '-d', `@${seconds}`, path]);
}

export interface Entry { type: string; mode?: number; sha?: string; target?: string; mtimeUs?: string; link?: string }

/** Every entry under `dir` by relative path (never following symlinks); `link` is the first path of its inode. */
export function describe(dir: string, umask = process.umask()): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const inodes = new Map<bigint, string>();
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(full, { bigint: true });
      const mode = Number(st.mode & 0o7777n) & ~umask;
      if (st.isSymbolicLink()) out[r] = { type: 'symlink', target: readlinkSync(full) };
      else if (st.isDirectory()) {
        out[r] = { type: 'dir', mode };
        walk(full, r);
      } else {
        const first = inodes.get(st.ino) ?? r;
        inodes.set(st.ino, first);
        out[r] = { type: 'file', mode, sha: createHash('sha256').update(readFileSync(full)).digest('hex'), mtimeUs: (st.mtimeNs / 1000n).toString(), link: first };
      }
    }
  };
  walk(dir, '');
  return out;
}

/** The repository prefix of `account` in the runtime's object directory. */
export const repoDir = (rt: TestRuntime, account: string) => join(rt.s3.directory, rt.s3.bucket, 'accounts', Buffer.from(account).toString('base64url'), 'repo');

/** Object ids of one type in the repository (the files of `<repo>/<type>/`). */
export async function objects(rt: TestRuntime, account: string, type: string): Promise<string[]> {
  return (await readdir(join(repoDir(rt, account), type)).catch(() => [] as string[])).filter((n) => /^[0-9a-f]{64}$/.test(n)).sort();
}

export interface Device { home: string; run: (args: string[], extra?: Record<string, string | undefined>, input?: string) => Promise<CliResult> }

/** `bkv` on a device (its own $BKV_HOME) for `account` on the runtime. */
export function device(rt: TestRuntime, account: string, home: string): Device {
  return { home, run: (args, extra = {}, input) => bkv(args, { BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: account, ...extra }, input) };
}

export function parseSnapshots(r: CliResult): SnapshotJson[] {
  return JSON.parse(r.stdout) as SnapshotJson[];
}

export interface SnapshotJson {
  id: string; time: string; host: string; paths: string[]; tags: string[]; incomplete: boolean;
  skipped: { path: string; error: string }[];
  summary: { files: number; dirs: number; symlinks: number; bytes: number; newBytes: number; uploadedBytes: number };
}

export interface RawResult { code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }

/**
 * How a test runs `bkv` without the power to read every file: root without CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH (util-linux setpriv), so file modes bind it as they bind any user, while the checkout it runs
 * from stays reachable wherever it lives (a clone in a 0700 directory included, which `nobody` could not enter).
 */
export const WITHOUT_FILE_POWERS: readonly string[] = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--inh-caps', '-dac_override,-dac_read_search'];

/** `bkv` with stdout as bytes (dump), optionally as another user (`runuser -u <user> --`) or `WITHOUT_FILE_POWERS`; never blocks the loop. */
export function bkvRaw(args: string[], env: Record<string, string | undefined>, user?: string | readonly string[], input?: string): Promise<RawResult> {
  const prefix: readonly string[] = user === undefined ? [] : typeof user === 'string' ? ['runuser', '-u', user, '--'] : user;
  const argv: string[] = [...prefix, process.execPath, BKV_BIN, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end(input ?? '');
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code, signal) => res({ code, signal, stdout: Buffer.concat(out), stderr }));
  });
}
