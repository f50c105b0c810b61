// Attacker: someone holding K (a stolen 64-digit key, a compromised device of the user) who writes objects into the
// repository that bkv's backup never would (docs/threat-model.md, "A repository written by someone holding K"). It
// can make a reader refuse, never exhaust it: a blob's claimed plaintext length is held to docs/repository.md
// "Limits" before anything is inflated, and a graph of shared subtrees, a tree inside itself or a chain of trees
// deeper than the limit is refused before any walk starts, with nothing left in the target.

import { deflateSync } from 'node:zlib';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { isClientError } from '../../client/errors.js';
import { check } from '../../client/repo/commands/check.js';
import { dumpFile } from '../../client/repo/commands/dump.js';
import { MAX_DATA_BLOB_BYTES, MAX_TREE_DEPTH } from '../../client/repo/limits.js';
import { listSnapshot } from '../../client/repo/commands/ls.js';
import { restore } from '../../client/repo/commands/restore.js';
import { Crafter, dirMeta, meta } from '../client/repo/craft.js';
import { freshRepo, tempDir } from '../client/repo/engine-helpers.js';

const sink = () => new Writable({ write: (_c, _e, done) => done() });

/** A repository whose one file is a deflate bomb: `claimed` zero bytes stored as ~1/1000 of that. */
async function bomb(claimed: number) {
  const { repo, home } = await freshRepo();
  const c = new Crafter(repo);
  const zeros = Buffer.alloc(claimed);
  const id = c.rawBlob(zeros, deflateSync(zeros, { level: 9 }), claimed, 1);
  const s = await c.snapshot(c.tree([{ ...meta, name: 'f', type: 'file', size: claimed, content: [id] }]));
  // a fresh open of the repository: the index is read from the store, as any other device would
  repo.index = new (repo.index.constructor as new () => typeof repo.index)();
  return { repo, home, s };
}

describe('a blob that claims more plaintext than a chunk can hold', () => {
  it('restore refuses an index entry of u > MAX_DATA_BLOB_BYTES (a deflate bomb) and writes nothing', async () => {
    const { repo, home, s } = await bomb(4 * MAX_DATA_BLOB_BYTES);
    const parent = tempDir();
    const err = await restore(repo, s, join(parent, 'out'), { home }).catch((e: unknown) => e);
    expect(isClientError(err, 'damaged')).toBe(true);
    expect((err as Error).message).toMatch(/more than 8388608.*Limits/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('dump refuses it too, before inflating a byte', async () => {
    const { repo, s } = await bomb(4 * MAX_DATA_BLOB_BYTES);
    const err = await dumpFile(repo, s, 'x/f', sink()).catch((e: unknown) => e);
    expect(isClientError(err, 'damaged')).toBe(true);
  });

  it('a blob of exactly MAX_DATA_BLOB_BYTES is still restored', async () => {
    const { repo, home, s } = await bomb(MAX_DATA_BLOB_BYTES);
    const target = join(tempDir(), 'out');
    await restore(repo, s, target, { home });
    expect(readdirSync(target)).toEqual(['f']);
  });
});

describe('a pack of blobs that each claim the largest chunk', () => {
  it('check --read-data opens it in tasks of at most 64 MiB of plaintext, not all of it at once', async () => {
    const { repo } = await freshRepo();
    const c = new Crafter(repo);
    const content: string[] = [];
    for (let i = 0; i < 20; i++) {
      const plain = Buffer.alloc(MAX_DATA_BLOB_BYTES);
      plain[0] = i; // 20 different blobs, each ~8 KiB deflated
      content.push(c.rawBlob(plain, deflateSync(plain, { level: 9 }), plain.length, 1));
    }
    await c.snapshot(c.tree([{ ...meta, name: 'f', type: 'file', size: 20 * MAX_DATA_BLOB_BYTES, content }]));
    const tasks: number[] = [];
    const open = repo.pool.open.bind(repo.pool);
    vi.spyOn(repo.pool, 'open').mockImplementation((task, here) => {
      tasks.push(task.blobs.reduce((n, b) => n + b[3], 0));
      return open(task, here);
    });
    const result = await check(repo, { readData: true });
    expect(result.errors).toEqual([]);
    const data = tasks.filter((t) => t >= MAX_DATA_BLOB_BYTES);
    expect(data.reduce((a, b) => a + b, 0)).toBe(20 * MAX_DATA_BLOB_BYTES);
    expect(Math.max(...data)).toBeLessThanOrEqual(64 * 1024 * 1024);
  });
});

describe('a tree pack whose other blobs claim more plaintext than honest trees hold', () => {
  it('reading one tree of it inflates only that tree, not a 100 MiB blob beside it', async () => {
    const { repo, home } = await freshRepo();
    const c = new Crafter(repo);
    const zeros = Buffer.alloc(100 * 1024 * 1024);
    c.rawTreeBlob('cd'.repeat(32), deflateSync(zeros, { level: 9 }), zeros.length);
    const s = await c.snapshot(c.tree([{ ...meta, name: 'f', type: 'file', size: 0, content: [] }]));
    const tasks: number[] = [];
    const open = repo.pool.open.bind(repo.pool);
    vi.spyOn(repo.pool, 'open').mockImplementation((task, here) => {
      tasks.push(task.blobs.reduce((n, b) => n + b[3], 0));
      return open(task, here);
    });
    const target = join(tempDir(), 'out');
    await restore(repo, s, target, { home });
    expect(readdirSync(target)).toEqual(['f']);
    expect(Math.max(...tasks)).toBeLessThan(1024 * 1024);
  });
});

/** A graph of `levels` trees, each naming the next one twice: 2^(levels+1) − 2 entries from `levels` trees. */
function doubling(c: Crafter, levels: number): string {
  let t = c.tree([]);
  for (let i = 0; i < levels; i++) t = c.tree([{ ...dirMeta, name: 'a', type: 'dir', subtree: t }, { ...dirMeta, name: 'b', type: 'dir', subtree: t }]);
  return t;
}

function chain(c: Crafter, levels: number): string {
  let t = c.tree([{ ...meta, name: 'f', type: 'file', size: 0, content: [] }]);
  for (let i = 1; i < levels; i++) t = c.tree([{ ...dirMeta, name: 'd', type: 'dir', subtree: t }]);
  return t;
}

describe('trees that stand for more than a snapshot may hold', () => {
  it('ls of a 30-level graph of shared subtrees (2^31 entries from 31 trees) is refused before its first entry', async () => {
    const { repo } = await freshRepo();
    const c = new Crafter(repo);
    const s = await c.snapshot(doubling(c, 30));
    let listed = 0;
    const err = await (async () => {
      for await (const _ of listSnapshot(repo, s)) if (++listed >= 1000) return new Error('listed 1000 entries of it');
      return undefined;
    })().catch((e: unknown) => e);
    expect(isClientError(err, 'damaged')).toBe(true);
    expect((err as Error).message).toMatch(/more than 10000000 entries/);
    expect(listed).toBe(0);
  });

  it('restore of the same graph is refused before a directory is made', async () => {
    const { repo, home } = await freshRepo();
    const c = new Crafter(repo);
    const s = await c.snapshot(doubling(c, 30));
    const parent = tempDir();
    const err = await restore(repo, s, join(parent, 'out'), { home, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    expect(isClientError(err, 'damaged')).toBe(true);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('an honest graph of shared subtrees within the limit (16 levels: 131,070 entries) is listed whole', async () => {
    const { repo } = await freshRepo();
    const c = new Crafter(repo);
    const s = await c.snapshot(doubling(c, 16));
    let listed = 0;
    for await (const _ of listSnapshot(repo, s)) listed++;
    expect(listed).toBe(2 ** 17 - 2);
  });

  it.for([
    [MAX_TREE_DEPTH, true],
    [MAX_TREE_DEPTH + 1, false],
  ] as const)('a chain of %i trees: listed %s', async ([levels, ok]) => {
    const { repo } = await freshRepo();
    const c = new Crafter(repo);
    const s = await c.snapshot(chain(c, levels));
    let listed = 0;
    const err = await (async () => {
      for await (const _ of listSnapshot(repo, s)) listed++;
    })().catch((e: unknown) => e);
    if (ok) {
      expect(err).toBeUndefined();
      expect(listed).toBe(levels);
    } else {
      expect(isClientError(err, 'damaged')).toBe(true);
      expect((err as Error).message).toMatch(/nested more than 2048 levels/);
      expect(listed).toBe(0);
    }
  });

  it('a tree that names itself (through the index: ids are not checked on the way) is refused by restore, nothing made', async () => {
    const { repo, home } = await freshRepo();
    const c = new Crafter(repo);
    // the tree's content names the id the index gives it: a cycle only a writer of the index can make
    const selfId = 'ab'.repeat(32);
    const id = c.namedTree(selfId, [{ ...dirMeta, name: 'loop', type: 'dir', subtree: selfId }]);
    const s = await c.snapshot(id);
    const parent = tempDir();
    const err = await restore(repo, s, join(parent, 'out'), { home, signal: AbortSignal.timeout(10_000) }).catch((e: unknown) => e);
    expect(isClientError(err, 'damaged')).toBe(true);
    expect((err as Error).message).toMatch(/contains itself/);
    expect(existsSync(join(parent, 'out'))).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });
});
