// Shared set-up of the snapshot engine tests: a fresh repository on the test memory store, temporary
// directories, and a tree comparison (type, mode, size, content hash, mtime, link target, hard links).

import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { initRepository, type Repository } from '../../../client/repo/repository.js';
import { TestMemoryStore } from '../../helpers/memory-repo.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export function tempDir(prefix = 'bkv-repo-'): string {
  const base = process.env.BKV_TEST_TMP ?? (lstatSync('/dev/shm', { throwIfNoEntry: false })?.isDirectory() ? '/dev/shm' : tmpdir());
  const d = mkdtempSync(join(base, prefix));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

export async function freshRepo(key: Uint8Array = randomBytes(32), store = new TestMemoryStore(), workers = 1): Promise<{ repo: Repository; store: TestMemoryStore; key: Uint8Array; home: string }> {
  const home = tempDir('bkv-home-');
  const repo = await initRepository(store, key, { home, workers });
  cleanups.push(() => repo.close());
  return { repo, store, key, home };
}

export interface Entry {
  type: string;
  mode: number;
  size?: number;
  sha?: string;
  target?: string;
  mtimeNs?: string;
  ino?: number;
}

/** Every entry under `dir` by relative path (never following symlinks). */
export function describeTree(dir: string): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(full, { bigint: true });
      const mode = Number(st.mode & 0o7777n);
      if (st.isSymbolicLink()) out[r] = { type: 'symlink', mode: 0, target: readlinkSync(full), mtimeNs: st.mtimeNs.toString() };
      else if (st.isDirectory()) {
        out[r] = { type: 'dir', mode };
        walk(full, r);
      } else out[r] = { type: 'file', mode, size: Number(st.size), sha: createHash('sha256').update(readFileSync(full)).digest('hex'), mtimeNs: st.mtimeNs.toString(), ino: Number(st.ino) };
    }
  };
  walk(dir, '');
  return out;
}

/** What a restore must reproduce: type, mode (minus the umask), content, µs mtime, link target. */
export function comparable(dir: string): Record<string, unknown> {
  const umask = process.umask();
  return Object.fromEntries(Object.entries(describeTree(dir)).map(([p, e]) => [p, {
    type: e.type, mode: e.mode & ~umask, sha: e.sha, target: e.target, mtimeUs: e.mtimeNs === undefined || e.type !== 'file' ? undefined : BigInt(e.mtimeNs) / 1000n,
  }]));
}
