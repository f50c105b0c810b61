// Interruptions and damage (docs/threat-model.md invariant 9): an AbortSignal fired at random points of backup, restore
// and prune commits nothing half-made — no new snapshot, no target, no staging directory with plaintext, a
// repository that still checks clean and restores — and check --read-data detects one flipped byte. A device
// with another key is refused with a clear error.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../../client/repo/commands/backup.js';
import { check } from '../../../client/repo/commands/check.js';
import { forget } from '../../../client/repo/commands/forget.js';
import { prune } from '../../../client/repo/commands/prune.js';
import { openRepository } from '../../../client/repo/repository.js';
import { restore } from '../../../client/repo/commands/restore.js';
import { comparable, freshRepo, tempDir } from './engine-helpers.js';

function tree(): string {
  const root = join(tempDir(), 'src');
  mkdirSync(join(root, 'd'), { recursive: true });
  for (let i = 0; i < 30; i++) writeFileSync(join(root, 'd', `f${i}`), randomBytes(10_000 + i * 1000));
  writeFileSync(join(root, 'big'), randomBytes(40 * 1024 * 1024));
  return root;
}

/** Aborts the controller at the n-th store call. */
function abortAt(store: { hook: ((op: string) => void) | undefined }, n: number): AbortController {
  const c = new AbortController();
  let calls = 0;
  store.hook = () => {
    if (++calls === n) c.abort(new Error('aborted by test'));
  };
  return c;
}

describe('abort', () => {
  it.for([1, 2, 3, 5])('a backup aborted at store call %i commits no snapshot; the next backup completes', async (n) => {
    const { repo, store } = await freshRepo();
    const root = tree();
    const c = abortAt(store, n);
    await expect(backup(repo, { paths: [root], signal: c.signal })).rejects.toThrow(/aborted by test/);
    store.hook = undefined;
    expect([...store.objects.keys()].filter((k) => k.startsWith('snapshots/'))).toEqual([]);
    expect(store.locks.size).toBe(0);
    const { snapshot } = await backup(repo, { paths: [root] });
    expect((await check(repo, { readData: true })).errors).toEqual([]);
    const out = join(tempDir(), 'out');
    await restore(repo, snapshot, out);
    expect(comparable(join(out, 'src'))).toEqual(comparable(root));
  });

  it.for([1, 2, 4])('a restore aborted at store call %i leaves no target and no staging directory', async (n) => {
    const { repo, store, home } = await freshRepo();
    const root = tree();
    const { snapshot } = await backup(repo, { paths: [root] });
    const parent = tempDir();
    const c = abortAt(store, n);
    await expect(restore(repo, snapshot, join(parent, 'out'), { signal: c.signal, home, beforePack: () => c.abort(new Error('aborted by test')) })).rejects.toThrow(/aborted by test/);
    store.hook = undefined;
    expect(readdirSync(parent)).toEqual([]);
    expect(readdirSync(join(home, 'restores'))).toEqual([]);
  });

  it.for([1, 3, 6, 9])('a prune aborted at store call %i loses nothing', async (n) => {
    const { repo, store, home } = await freshRepo();
    const root = tree();
    await backup(repo, { paths: [root] });
    writeFileSync(join(root, 'big'), randomBytes(40 * 1024 * 1024));
    const { snapshot } = await backup(repo, { paths: [root] });
    await forget(repo, { policy: { last: 1 } });
    const c = abortAt(store, n);
    await prune(repo, { signal: c.signal }).catch(() => undefined);
    store.hook = undefined;
    expect((await check(repo, { readData: true })).errors).toEqual([]);
    const out = join(tempDir(), 'out');
    await restore(repo, snapshot, out, { home });
    expect(comparable(join(out, 'src'))).toEqual(comparable(root));
    await prune(repo);
    expect((await check(repo, { readData: true })).errors).toEqual([]);
  });
});

describe('damage and keys', () => {
  it('check --read-data detects a flipped byte in a data pack (the structure check alone may not)', async () => {
    const { repo, store } = await freshRepo();
    const root = tree();
    await backup(repo, { paths: [root] });
    expect((await check(repo, { readData: true })).errors).toEqual([]);
    const [name, body] = [...store.objects.entries()].find(([k, v]) => k.startsWith('data/') && v.length > 1024 * 1024)!;
    body[Math.floor(body.length / 3)]! ^= 0x01;
    const r = await check(repo, { readData: true });
    expect(r.errors.length).toBeGreaterThan(0);
    expect(r.errors.join('\n')).toContain(name.slice(5));
  });

  it('a repository under another key is refused with a clear error', async () => {
    const { store } = await freshRepo();
    await expect(openRepository(store, randomBytes(32), { workers: 0 })).rejects.toThrow(/repository is under another backup key/);
  });
});

describe('staging left by a killed restore', () => {
  it('a later restore removes a recorded staging directory whose process is gone', async () => {
    const { removeStaleStaging } = await import('../../../client/repo/commands/restore.js');
    const home = tempDir();
    const parent = tempDir();
    const staging = join(parent, '.bkv-restore-0011223344556677');
    mkdirSync(join(staging, 'plain'), { recursive: true });
    writeFileSync(join(staging, 'plain', 'secret.txt'), 'plaintext');
    mkdirSync(join(home, 'restores'));
    writeFileSync(join(home, 'restores', 'x.json'), JSON.stringify({ path: staging, pid: 2 ** 22 + 12345 }));
    expect(removeStaleStaging(home)).toEqual([staging]);
    expect(readdirSync(parent)).toEqual([]);
    expect(readdirSync(join(home, 'restores'))).toEqual([]);
  });
});

describe('lock', () => {
  it('a backup whose shared lock is lost (removed by the server) commits no snapshot', async () => {
    const { repo, store } = await freshRepo();
    const root = join(tempDir(), 'src');
    mkdirSync(root);
    for (let i = 0; i < 8; i++) writeFileSync(join(root, `f${i}`), randomBytes(6 * 1024 * 1024));
    let removed = false;
    store.hook = (op) => {
      if (op === 'put' && !removed) {
        removed = true;
        store.locks.clear(); // the server dropped the lock (expired while this device slept, or removed by hand)
      }
    };
    const slowRead = () => { const until = Date.now() + 40; while (Date.now() < until) { /* let the refresh timer come due */ } };
    const err = await backup(repo, { paths: [root], lockTtlSeconds: 0.15, beforeRead: slowRead }).catch((e: unknown) => e);
    store.hook = undefined;
    expect((err as { code?: string }).code).toBe('lock-lost');
    expect([...store.objects.keys()].filter((k) => k.startsWith('snapshots/'))).toEqual([]);
  });
});
