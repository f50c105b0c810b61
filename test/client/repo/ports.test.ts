// The engine's ports (client/repo/ports.ts): each consumer runs against a small hand-written adapter typed as its
// port alone — trees and blobs in a Map, no Repository, no keys (except where blobs are named or sealed), no store
// (except where packs are written or read). Two checks that a consumer asks for no more than its port:
// `expectTypeOf(consumer).parameter(0)` is exactly the port (tsc, npm run typecheck), and every adapter is wrapped
// by `only`, which throws when the consumer reaches for a member the adapter does not have.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { blobId } from '../../../client/repo/blobs/blob-ops.js';
import { BlobPool } from '../../../client/repo/blobs/blob-pool.js';
import { diffSnapshots, type DiffEntry } from '../../../client/repo/commands/diff.js';
import { dumpFile } from '../../../client/repo/commands/dump.js';
import { listSnapshot } from '../../../client/repo/commands/ls.js';
import { restore } from '../../../client/repo/commands/restore.js';
import { findInSnapshots } from '../../../client/repo/commands/search.js';
import { snapshotStats } from '../../../client/repo/commands/stats.js';
import { deriveRepoKeys } from '../../../client/repo/keys.js';
import { treeShape } from '../../../client/repo/limits.js';
import { BlobWriter, type BlobWriterOptions } from '../../../client/repo/packs/blob-writer.js';
import type { BlobLocation, IndexObject, PackEntry } from '../../../client/repo/packs/index.js';
import type {
  BlobIndex, BlobLoader, BlobWriterRepo, IndexLoader, IndexLookup, PackStore, RestoreSource, SnapshotLister, TreeLoader,
} from '../../../client/repo/ports.js';
import type { Repository } from '../../../client/repo/repository.js';
import type { Snapshot } from '../../../client/repo/snapshot.js';
import { findSnapshot } from '../../../client/repo/snapshots/find.js';
import type { Rollback } from '../../../client/repo/snapshots/seen.js';
import { usedBlobs } from '../../../client/repo/snapshots/used.js';
import { findNode, walkTree } from '../../../client/repo/snapshots/walk.js';
import { MemoryRepoStore } from '../../../client/repo/storage/memory-store.js';
import type { ObjectName } from '../../../client/repo/storage/store.js';
import type { FileNode, Tree, TreeNode } from '../../../client/repo/tree.js';
import { freshRepo, tempDir } from './engine-helpers.js';

/** The adapter itself, except that reading a member it does not have throws (a consumer reaching past its port). */
function only<T extends object>(adapter: T): T {
  return new Proxy(adapter, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop !== 'then' && !(prop in target)) throw new Error(`reached past the port for ${prop}`);
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
}

const MTIME = '1700000000000000000';
const file = (name: string, content: string[], size: number, extra: Partial<FileNode> = {}): FileNode => ({ name, type: 'file', mode: 0o644, mtime: MTIME, uid: 1000, gid: 1000, size, content, ...extra });
const dir = (name: string, subtree: string): TreeNode => ({ name, type: 'dir', mode: 0o755, mtime: MTIME, uid: 1000, gid: 1000, subtree });
const link = (name: string, target: string): TreeNode => ({ name, type: 'symlink', mode: 0o777, mtime: MTIME, uid: 1000, gid: 1000, target });

/**
 * Two snapshots' trees: A is home/{docs/{a.txt, b.txt}, notes.txt, shared/x}, B changes b.txt's content, adds
 * docs/c.txt, makes notes.txt a symlink, touches shared/'s mode, and keeps shared's subtree (same id).
 */
function twoSnapshots() {
  const trees = new Map<string, Tree>([
    ['shared', { nodes: [file('x', ['d-x'], 5)] }],
    ['docsA', { nodes: [file('a.txt', ['d-a'], 3), file('b.txt', ['d-b1'], 4)] }],
    ['docsB', { nodes: [file('a.txt', ['d-a'], 3), file('b.txt', ['d-b2', 'd-b3'], 9), file('c.txt', ['d-c'], 2)] }],
    ['homeA', { nodes: [dir('docs', 'docsA'), file('notes.txt', ['d-n'], 7), dir('shared', 'shared')] }],
    ['homeB', { nodes: [dir('docs', 'docsB'), link('notes.txt', 'docs/a.txt'), { ...dir('shared', 'shared'), mode: 0o700 }] }],
    ['rootA', { nodes: [dir('home', 'homeA')] }],
    ['rootB', { nodes: [dir('home', 'homeB')] }],
  ]);
  const snap = (id: string, tree: string, time: string): Snapshot => ({
    version: 1, id, time, host: 'h', user: 'u', paths: ['/home'], tags: [], tree, parent: null, incomplete: false, skipped: [],
    summary: { files: 0, dirs: 0, symlinks: 0, bytes: 0, newBytes: 0, uploadedBytes: 0 },
  });
  return { trees, a: snap('aaaa1111', 'rootA', '2026-01-01T00:00:00Z'), b: snap('bbbb2222', 'rootB', '2026-01-02T00:00:00Z') };
}

/** A TreeLoader over a Map, counting its loads. */
function treeLoader(trees: Map<string, Tree>): TreeLoader & { loads: string[] } {
  const loads: string[] = [];
  return only({
    loads,
    async tree(id: string): Promise<Tree> {
      loads.push(id);
      const t = trees.get(id);
      if (t === undefined) throw new Error(`no tree ${id}`);
      return t;
    },
  });
}

/** A TreeLoader and IndexLoader: ensureIndex counts its calls. */
function treesWithIndex(trees: Map<string, Tree>): TreeLoader & IndexLoader & { ensured: number } {
  const state = { ensured: 0 };
  const loader = treeLoader(trees);
  return only({
    get ensured() {
      return state.ensured;
    },
    tree: (id: string) => loader.tree(id),
    async ensureIndex(): Promise<void> {
      state.ensured++;
    },
  });
}

/** An index of blob ids to fake locations: every blob `l` = its plaintext `u` / 2, one pack per blob. */
function fakeIndex(sizes: Record<string, number>): BlobIndex {
  return only({
    has: (id: string) => id in sizes,
    lookup(id: string): BlobLocation | undefined {
      const u = sizes[id];
      if (u === undefined) return undefined;
      const blob = { id, o: 0, l: Math.ceil(u / 2), u, z: 1 as const };
      return { pack: { id: `p-${id}`, t: 'data', size: blob.l, h: '', blobs: [blob] }, blob };
    },
  });
}

describe('TreeLoader: walks, lookups and limits over trees alone', () => {
  it('walkTree yields every node depth first in name order, with paths, and descend prunes', async () => {
    expectTypeOf(walkTree).parameter(0).toEqualTypeOf<TreeLoader>();
    const { trees } = twoSnapshots();
    const paths: string[] = [];
    for await (const { path } of walkTree(treeLoader(trees), 'rootA')) paths.push(path);
    expect(paths).toEqual(['home', 'home/docs', 'home/docs/a.txt', 'home/docs/b.txt', 'home/notes.txt', 'home/shared', 'home/shared/x']);
    const pruned: string[] = [];
    for await (const { path } of walkTree(treeLoader(trees), 'rootA', { descend: (p) => p !== 'home/docs' })) pruned.push(path);
    expect(pruned).toEqual(['home', 'home/docs', 'home/notes.txt', 'home/shared', 'home/shared/x']);
  });

  it('findNode finds a nested node, and nothing below a file or at a missing name', async () => {
    expectTypeOf(findNode).parameter(0).toEqualTypeOf<TreeLoader>();
    const { trees } = twoSnapshots();
    const loader = treeLoader(trees);
    expect(await findNode(loader, 'rootB', 'home/docs/c.txt')).toMatchObject({ type: 'file', size: 2 });
    expect(await findNode(loader, 'rootB', 'home/notes.txt/x')).toBeUndefined();
    expect(await findNode(loader, 'rootB', 'home/nope')).toBeUndefined();
  });

  it('treeShape counts a shared subtree where it is named, reads each distinct tree once, and refuses a tree inside itself', async () => {
    expectTypeOf(treeShape).parameter(0).toEqualTypeOf<TreeLoader>();
    const trees = new Map<string, Tree>([
      ['leaf', { nodes: [file('f', [], 0), file('g', [], 0)] }],
      ['mid', { nodes: [dir('one', 'leaf'), dir('two', 'leaf')] }],
      ['top', { nodes: [dir('m', 'mid')] }],
      ['loop', { nodes: [dir('again', 'loop')] }],
    ]);
    const loader = treeLoader(trees);
    expect(await treeShape(loader, 'top')).toEqual({ entries: 7, depth: 3 });
    expect(loader.loads).toEqual(['top', 'mid', 'leaf']);
    await expect(treeShape(loader, 'loop')).rejects.toMatchObject({ kind: 'damaged', message: expect.stringContaining('contains itself') });
  });

  it('the adapter guard throws when a consumer reaches past the port', () => {
    const loader = treeLoader(new Map());
    expect(() => (loader as unknown as Repository).index).toThrow('reached past the port for index');
  });
});

describe('TreeLoader and IndexLoader: ls, diff and find over trees alone', () => {
  it('ls lists a snapshot and one directory of it, loading the index first', async () => {
    expectTypeOf(listSnapshot).parameter(0).toEqualTypeOf<TreeLoader & IndexLoader>();
    const { trees, b } = twoSnapshots();
    const repo = treesWithIndex(trees);
    const all: string[] = [];
    for await (const { path } of listSnapshot(repo, b)) all.push(path);
    expect(all).toEqual(['home', 'home/docs', 'home/docs/a.txt', 'home/docs/b.txt', 'home/docs/c.txt', 'home/notes.txt', 'home/shared', 'home/shared/x']);
    const docs: string[] = [];
    for await (const { path } of listSnapshot(repo, b, 'home/docs')) docs.push(path);
    expect(docs).toEqual(['home/docs', 'home/docs/a.txt', 'home/docs/b.txt', 'home/docs/c.txt']);
    expect(repo.ensured).toBe(2);
    await expect(listSnapshot(repo, b, 'home/none').next()).rejects.toMatchObject({ kind: 'usage' });
  });

  it('diff reports added, removed, changed, type-changed and metadata-only entries, and the bytes', async () => {
    expectTypeOf(diffSnapshots).parameter(0).toEqualTypeOf<TreeLoader & IndexLoader>();
    const { trees, a, b } = twoSnapshots();
    const repo = treesWithIndex(trees);
    const entries: DiffEntry[] = [];
    const stats = await diffSnapshots(repo, a, b, (e) => entries.push(e));
    expect(entries).toEqual([
      { change: 'M', path: 'home/docs/b.txt' },
      { change: '+', path: 'home/docs/c.txt' },
      { change: 'T', path: 'home/notes.txt' },
      { change: 'U', path: 'home/shared/' },
    ]);
    expect(stats).toEqual({ added: 1, removed: 0, changed: 2, metadata: 1, addedBytes: 9 + 2, removedBytes: 4 });
    expect(repo.ensured).toBe(1);
  });

  it('find matches original absolute paths in every snapshot given', async () => {
    expectTypeOf(findInSnapshots).parameter(0).toEqualTypeOf<TreeLoader & IndexLoader>();
    const { trees, a, b } = twoSnapshots();
    const found: string[] = [];
    for await (const f of findInSnapshots(treesWithIndex(trees), [a, b], ['*.txt'])) found.push(`${f.snapshot.id.slice(0, 4)} ${f.path}`);
    expect(found).toEqual([
      'aaaa /home/docs/a.txt', 'aaaa /home/docs/b.txt', 'aaaa /home/notes.txt',
      'bbbb /home/docs/a.txt', 'bbbb /home/docs/b.txt', 'bbbb /home/docs/c.txt', 'bbbb /home/notes.txt',
    ]);
  });
});

describe('IndexLookup: what snapshots use and cost, over trees and an index alone', () => {
  it('usedBlobs collects trees and data blobs, and names the snapshot that needs a blob the index lacks', async () => {
    expectTypeOf(usedBlobs).parameter(0).toEqualTypeOf<TreeLoader & IndexLookup>();
    const { trees, a, b } = twoSnapshots();
    const index = fakeIndex({ rootA: 1, rootB: 1, homeA: 1, homeB: 1, docsA: 1, docsB: 1, shared: 1, 'd-x': 5, 'd-a': 3, 'd-b1': 4, 'd-b2': 4, 'd-c': 2, 'd-n': 7 });
    const loader = treeLoader(trees);
    const used = await usedBlobs(only({ tree: (id: string) => loader.tree(id), index }), [a, b]);
    expect([...used.trees].sort()).toEqual(['docsA', 'docsB', 'homeA', 'homeB', 'rootA', 'rootB', 'shared']);
    expect([...used.data].sort()).toEqual(['d-a', 'd-b1', 'd-b2', 'd-b3', 'd-c', 'd-n', 'd-x']);
    expect([...used.missing]).toEqual([['d-b3', 'bbbb2222']]);
    expect(loader.loads.filter((t) => t === 'shared')).toHaveLength(1);
  });

  it('stats counts restore size, unique and stored bytes, and blobs the index lacks', async () => {
    expectTypeOf(snapshotStats).parameter(0).toEqualTypeOf<TreeLoader & IndexLoader & IndexLookup>();
    const { trees, b } = twoSnapshots();
    const index = fakeIndex({ rootB: 2, homeB: 2, docsB: 2, shared: 2, 'd-x': 5, 'd-a': 3, 'd-b2': 4, 'd-b3': 5, 'd-c': 2 });
    const repo = treesWithIndex(trees);
    const stats = await snapshotStats(only({ tree: (id: string) => repo.tree(id), ensureIndex: () => repo.ensureIndex(), index }), [b]);
    expect(stats).toMatchObject({ snapshots: 1, files: 4, restoreSize: 3 + 9 + 2 + 5, uniqueBytes: 5 + 3 + 4 + 5 + 2, missingBlobs: 0 });
    // stored: each blob's l (= ceil(u / 2)), data then the four trees
    expect(stats.storedBytes).toBe(3 + 2 + 2 + 3 + 1 + 4 * 1);
    expect(repo.ensured).toBe(1);
  });
});

describe('BlobLoader: dump over trees and blobs alone', () => {
  const blobs = new Map([['d-b2', Buffer.from('four')], ['d-b3', Buffer.from('-five')]]);
  const dumper = (trees: Map<string, Tree>) => {
    const t = treesWithIndex(trees);
    return only({ tree: (id: string) => t.tree(id), ensureIndex: () => t.ensureIndex(), async loadBlob(id: string) {
      const b = blobs.get(id);
      if (b === undefined) throw new Error(`no blob ${id}`);
      return new Uint8Array(b);
    } });
  };

  it('writes a file\'s blobs in order and returns its size', async () => {
    expectTypeOf(dumpFile).parameter(0).toEqualTypeOf<TreeLoader & BlobLoader & IndexLoader>();
    const { trees, b } = twoSnapshots();
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    expect(await dumpFile(dumper(trees), b, 'home/docs/b.txt', out)).toBe(9);
    expect(Buffer.concat(chunks).toString()).toBe('four-five');
  });

  it('refuses a file whose blobs hold another size than its tree says', async () => {
    const { trees, b } = twoSnapshots();
    trees.set('docsB', { nodes: [file('b.txt', ['d-b2', 'd-b3'], 10)] });
    const out = new PassThrough();
    out.resume();
    await expect(dumpFile(dumper(trees), b, 'home/docs/b.txt', out)).rejects.toMatchObject({ kind: 'damaged', message: expect.stringContaining('9 bytes, the tree says 10') });
  });
});

describe('SnapshotLister: naming a snapshot over a list alone', () => {
  const { a, b } = twoSnapshots();
  const lister = (rollbacks: Rollback[] = []): SnapshotLister => only({ rollbacks, snapshots: async () => [a, b] });

  it('latest is the newest, an id prefix names one, a bad or unknown prefix is a usage error', async () => {
    expectTypeOf(findSnapshot).parameter(0).toEqualTypeOf<SnapshotLister>();
    expect((await findSnapshot(lister(), 'latest')).id).toBe(b.id);
    expect((await findSnapshot(lister(), 'aaaa')).id).toBe(a.id);
    await expect(findSnapshot(lister(), 'cccc')).rejects.toMatchObject({ kind: 'usage' });
    await expect(findSnapshot(lister(), 'zz')).rejects.toMatchObject({ kind: 'usage' });
  });

  it('latest is refused while the listing looks rolled back', async () => {
    const seen = { id: 'cccc3333', time: '2026-01-03T00:00:00Z' };
    const rollback: Rollback = { group: JSON.stringify(['h', ['/home']]), host: 'h', paths: ['/home'], seen, listed: { id: b.id, time: b.time } };
    await expect(findSnapshot(lister([rollback]), 'latest')).rejects.toMatchObject({ kind: 'damaged', message: expect.stringContaining('rollback') });
    expect((await findSnapshot(lister([rollback]), 'bbbb')).id).toBe(b.id);
  });
});

/** A blob-writer port over maps: packs put in `objects`, the index a set plus the packs added, index writes recorded. */
function memoryWriterRepo() {
  const keys = deriveRepoKeys(randomBytes(32));
  const pool = new BlobPool(0);
  const objects = new Map<string, Uint8Array>();
  const indexed = new Set<string>();
  const added: PackEntry[] = [];
  const indexWrites: IndexObject['packs'][] = [];
  const store: PackStore = only({
    uploadRequest: undefined, downloadRequest: undefined, uploaded: undefined,
    async put(name: ObjectName, body: Uint8Array) {
      objects.set(`${name.type}/${name.id}`, new Uint8Array(body));
    },
  });
  const repo: BlobWriterRepo = only({
    keys, pool, store, cache: undefined,
    index: only({
      has: (id: string) => indexed.has(id),
      addPack(p: PackEntry) {
        added.push(p);
        for (const b of p.blobs) indexed.add(b.id);
      },
    }),
    async putIndex(packs: IndexObject['packs']) {
      indexWrites.push(packs);
      return { bytes: 100 };
    },
  });
  return { repo, keys, pool, objects, indexed, added, indexWrites };
}

describe('BlobWriterRepo: a blob-writer session over a pack store and an index alone', () => {
  it('stores new blobs once in packs, adds each pack to the index, writes one index at the end, and drops what is indexed', async () => {
    expectTypeOf(BlobWriter).constructorParameters.toEqualTypeOf<[BlobWriterRepo, BlobWriterOptions?]>();
    const { repo, keys, pool, objects, indexed, added, indexWrites } = memoryWriterRepo();
    try {
      const a = randomBytes(200_000);
      const old = randomBytes(1000);
      indexed.add(blobId(keys.blobIdKey, old));
      const buf = Buffer.concat([a, old, a]);
      const chunks = [a, old, a].map((x, i) => ({ o: i === 0 ? 0 : i === 1 ? a.length : a.length + old.length, l: x.length, id: blobId(keys.blobIdKey, x), z: undefined }));
      const counters = { newBytes: 0, uploadedBytes: 0 };
      const writer = new BlobWriter(repo, { counters });
      expect(await writer.saveSegment({ chunks, consumed: buf.length }, buf)).toEqual(chunks.map((c) => c.id));
      const tree = writer.saveTree(Buffer.from('{"nodes":[]}'));
      const stored = await writer.finish();
      expect(writer.state).toBe('finished');
      expect(stored.map((p) => [p.t, p.blobs.map((x) => x.id)])).toEqual([['data', [chunks[0]!.id]], ['tree', [tree]]]);
      expect(added).toEqual(stored);
      expect(indexWrites).toEqual([stored]);
      expect([...objects.keys()].sort()).toEqual(stored.map((p) => `data/${p.id}`).sort());
      for (const p of stored) expect(objects.get(`data/${p.id}`)!.length).toBe(p.size);
      expect(counters).toEqual({ newBytes: a.length, uploadedBytes: stored[0]!.size + stored[1]!.size + 100 });
    } finally {
      await pool.close();
    }
  });
});

describe('RestoreSource: a restore over trees in a map, an index of packs and a memory store', () => {
  it('restores a snapshot whose data packs a blob-writer session stored, with no Repository', async () => {
    expectTypeOf(restore).parameter(0).toEqualTypeOf<RestoreSource>();
    const { repo: writerRepo, keys, pool, objects } = memoryWriterRepo();
    try {
      const one = randomBytes(70_000);
      const two = Buffer.from('hello, ports\n');
      const writer = new BlobWriter(writerRepo);
      const ids = [one, two].map((x) => blobId(keys.blobIdKey, x));
      await writer.saveSegment({ chunks: [{ o: 0, l: one.length, id: ids[0]!, z: undefined }, { o: one.length, l: two.length, id: ids[1]!, z: undefined }], consumed: one.length + two.length }, Buffer.concat([one, two]));
      const packs = await writer.finish();
      const store = new MemoryRepoStore();
      for (const [k, body] of objects) await store.put({ type: 'data', id: k.slice('data/'.length) }, body);
      const where = new Map<string, BlobLocation>();
      for (const p of packs) for (const b of p.blobs) where.set(b.id, { pack: p, blob: b });
      const trees = new Map<string, Tree>([
        ['root', { nodes: [dir('data', 'inner')] }],
        ['inner', { nodes: [file('big', [ids[0]!], one.length), file('small', [ids[1]!], two.length)] }],
      ]);
      const loader = treeLoader(trees);
      const source: RestoreSource = only({
        store, keys, pool, cache: undefined,
        tree: (id: string) => loader.tree(id),
        ensureIndex: async () => undefined,
        skippedIndexes: () => '',
        index: only({ has: (id: string) => where.has(id), lookup: (id: string) => where.get(id) }),
      });
      const { a } = twoSnapshots();
      const target = join(tempDir(), 'out');
      const result = await restore(source, { ...a, paths: ['/data'], tree: 'root' }, target);
      expect(result).toMatchObject({ files: 2, dirs: 1, bytes: one.length + two.length });
      expect(readFileSync(join(target, 'data', 'big')).equals(one)).toBe(true);
      expect(readFileSync(join(target, 'data', 'small')).equals(two)).toBe(true);
    } finally {
      await pool.close();
    }
  });
});

describe('SnapshotSaver: the Repository adapter of the snapshot commit', () => {
  it('putSnapshot stores the encrypted snapshot, which a listing then returns as it was, and answers its stored bytes', async () => {
    const { repo, store } = await freshRepo();
    const { a } = twoSnapshots();
    const snapshot = { ...a, id: randomBytes(32).toString('hex'), tree: randomBytes(32).toString('hex') };
    const bytes = await repo.putSnapshot(snapshot);
    expect(store.objects.get(`snapshots/${snapshot.id}`)?.length).toBe(bytes);
    expect(await repo.snapshots()).toEqual([snapshot]);
    expect(repo.unreadable.size).toBe(0);
  });
});
