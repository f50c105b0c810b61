// What a restic user scripts with, on the snapshot engine: forget's whole rule set (hourly, yearly, within, tags)
// and its snapshot filters, `diff` between two snapshots, `find` across snapshots, `stats`, and the promise that a
// dry run takes no lock and reports exactly what the real `prune` then does.

import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, rmSync, writeFileSync, chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, scanTotals } from '../../../client/repo/commands/backup.js';
import { diffSnapshots, type DiffEntry } from '../../../client/repo/commands/diff.js';
import { applyPolicy, forget, forgetPlan, parseDuration } from '../../../client/repo/commands/forget.js';
import { prune } from '../../../client/repo/commands/prune.js';
import { findInSnapshots } from '../../../client/repo/commands/search.js';
import { filterSnapshots } from '../../../client/repo/snapshots/snapshot-filter.js';
import type { Snapshot } from '../../../client/repo/snapshot.js';
import { snapshotStats } from '../../../client/repo/commands/stats.js';
import { isClientError } from '../../../client/errors.js';
import { freshRepo, tempDir } from './engine-helpers.js';

const snap = (id: string, time: string, extra: Partial<Snapshot> = {}): Snapshot => ({
  version: 1, id, time, host: 'h', user: '', paths: ['/p'], tags: [], tree: '0'.repeat(64), parent: null, incomplete: false, skipped: [],
  summary: { files: 0, dirs: 0, symlinks: 0, bytes: 0, newBytes: 0, uploadedBytes: 0 }, ...extra,
});

describe('forget rules', () => {
  const s = [
    snap('a', '2024-06-01T10:00:00.000Z'), snap('b', '2025-03-01T10:00:00.000Z', { tags: ['keep'] }), snap('c', '2026-01-01T10:15:00.000Z'),
    snap('d', '2026-01-01T10:45:00.000Z'), snap('e', '2026-01-01T11:30:00.000Z'), snap('f', '2026-01-02T09:00:00.000Z'),
  ];
  it.for([
    [{ hourly: 2 }, ['f', 'e']],
    [{ hourly: 4 }, ['f', 'e', 'd', 'b']],
    [{ yearly: 2 }, ['f', 'b']],
    [{ yearly: 9 }, ['f', 'b', 'a']],
    [{ within: parseDuration('1d')! }, ['f', 'e', 'd', 'c']],
    [{ within: parseDuration('22h')! }, ['f', 'e']],
    [{ within: parseDuration('1y')! }, ['f', 'e', 'd', 'c', 'b']],
    [{ within: parseDuration('1y10m')! }, ['f', 'e', 'd', 'c', 'b', 'a']],
    [{ tags: ['keep'] }, ['b']],
    [{ last: 1, tags: ['keep'] }, ['f', 'b']],
  ] as const)('%j keeps %j', ([policy, keep]) => {
    expect(applyPolicy(s, policy).keep.map((x) => x.id)).toEqual(keep);
  });

  it.for(['', 'x', '1w', '1d1y', '1234567d', '-1d'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('a rule is required (no rule would delete everything)', () => {
    expect(() => forgetPlan(s, { policy: {} })).toThrow(expect.objectContaining({ kind: 'usage' }));
  });

  it('filters: --host, --tag (a,b means both; repeated means either), --path (all of them)', () => {
    const list = [
      snap('1', '2026-01-01T00:00:00.000Z', { host: 'laptop', tags: ['x', 'y'], paths: ['/home', '/etc'] }),
      snap('2', '2026-01-01T00:00:00.000Z', { host: 'server', tags: ['x'], paths: ['/etc'] }),
      snap('3', '2026-01-01T00:00:00.000Z', { host: 'laptop', tags: [], paths: ['/home'] }),
    ];
    const ids = (f: Parameters<typeof filterSnapshots>[1]) => filterSnapshots(list, f).map((x) => x.id);
    expect(ids({ hosts: ['laptop'] })).toEqual(['1', '3']);
    expect(ids({ tags: ['x'] })).toEqual(['1', '2']);
    expect(ids({ tags: ['x,y'] })).toEqual(['1']);
    expect(ids({ tags: ['y', 'nope'] })).toEqual(['1']);
    expect(ids({ paths: ['/etc'] })).toEqual(['1', '2']);
    expect(ids({ paths: ['/etc', '/home'] })).toEqual(['1']);
    expect(ids({ hosts: ['server'], paths: ['/home'] })).toEqual([]);
    expect(forgetPlan(list, { policy: { last: 1 }, hosts: ['laptop'] }).flatMap((g) => [...g.keep, ...g.remove].map((x) => x.id)).sort()).toEqual(['1', '3']);
  });
});

function makeTree(root: string): void {
  mkdirSync(join(root, 'docs/old'), { recursive: true });
  writeFileSync(join(root, 'docs/a.txt'), 'alpha');
  writeFileSync(join(root, 'docs/old/b.txt'), 'beta');
  writeFileSync(join(root, 'photo.JPG'), randomBytes(200_000));
  writeFileSync(join(root, 'same.bin'), randomBytes(300_000));
  writeFileSync(join(root, 'same-copy.bin'), 'x');
  symlinkSync('docs/a.txt', join(root, 'link'));
}

describe('diff, find, stats', () => {
  it('diff reports + - M T U and skips unchanged subtrees', async () => {
    const { repo } = await freshRepo();
    const root = join(tempDir(), 'src');
    makeTree(root);
    const { snapshot: a } = await backup(repo, { paths: [root] });
    writeFileSync(join(root, 'docs/a.txt'), 'alpha, changed');
    rmSync(join(root, 'docs/old'), { recursive: true });
    writeFileSync(join(root, 'new.txt'), 'new');
    chmodSync(join(root, 'photo.JPG'), 0o600);
    rmSync(join(root, 'link'));
    mkdirSync(join(root, 'link'));
    const { snapshot: b } = await backup(repo, { paths: [root] });
    const seen: DiffEntry[] = [];
    const stats = await diffSnapshots(repo, a, b, (e) => seen.push(e));
    expect(seen).toContainEqual({ change: 'M', path: 'src/docs/a.txt' });
    expect(seen).toContainEqual({ change: '-', path: 'src/docs/old/' });
    expect(seen).toContainEqual({ change: '-', path: 'src/docs/old/b.txt' });
    expect(seen).toContainEqual({ change: '+', path: 'src/new.txt' });
    expect(seen).toContainEqual({ change: 'U', path: 'src/photo.JPG' });
    expect(seen).toContainEqual({ change: 'T', path: 'src/link' });
    expect(seen.map((e) => e.path)).not.toContain('src/same.bin');
    // the directories whose entries changed have new mtimes: metadata changes of their own
    expect(seen.filter((e) => e.change === 'U').map((e) => e.path).sort()).toEqual(['src/', 'src/docs/', 'src/photo.JPG']);
    expect(stats).toMatchObject({ added: 1, removed: 2, changed: 2, metadata: 3, addedBytes: 3 + 14, removedBytes: 4 + 5 });
    const none: DiffEntry[] = [];
    expect(await diffSnapshots(repo, b, b, (e) => none.push(e))).toMatchObject({ added: 0, removed: 0, changed: 0, metadata: 0 });
    expect(none).toEqual([]);
  });

  it('find matches original absolute paths with backup\'s patterns, in every snapshot given', async () => {
    const { repo } = await freshRepo();
    const root = join(tempDir(), 'src');
    makeTree(root);
    const { snapshot: a } = await backup(repo, { paths: [root] });
    writeFileSync(join(root, 'docs/c.txt'), 'gamma');
    const { snapshot: b } = await backup(repo, { paths: [root] });
    const found = async (patterns: string[], ignoreCase = false) => {
      const out: string[] = [];
      for await (const f of findInSnapshots(repo, [a, b], patterns, { ignoreCase })) out.push(`${f.snapshot === a ? 'a' : 'b'}:${f.path.slice(root.length)}`);
      return out;
    };
    expect(await found(['*.txt'])).toEqual(['a:/docs/a.txt', 'a:/docs/old/b.txt', 'b:/docs/a.txt', 'b:/docs/c.txt', 'b:/docs/old/b.txt']);
    expect(await found(['docs/old'])).toEqual(['a:/docs/old', 'b:/docs/old']);
    expect(await found([`${root}/docs/c.txt`])).toEqual(['b:/docs/c.txt']);
    expect(await found(['*.jpg'])).toEqual([]);
    expect(await found(['*.jpg'], true)).toEqual(['a:/photo.JPG', 'b:/photo.JPG']);
  });

  it('stats: restore size, unique data after dedup, stored bytes', async () => {
    const { repo } = await freshRepo();
    const root = join(tempDir(), 'src');
    mkdirSync(root);
    const data = randomBytes(500_000);
    writeFileSync(join(root, 'one'), data);
    writeFileSync(join(root, 'two'), data);
    const { snapshot: a } = await backup(repo, { paths: [root] });
    const { snapshot: b } = await backup(repo, { paths: [root] });
    const s = await snapshotStats(repo, [a, b]);
    expect(s).toMatchObject({ snapshots: 2, files: 4, restoreSize: 2_000_000, uniqueBytes: 500_000, missingBlobs: 0 });
    expect(s.dedupRatio).toBe(4);
    expect(s.storedBytes).toBeGreaterThan(500_000); // random data: stored as it is, plus the trees
    expect(s.storedBytes).toBeLessThan(520_000);
  });
});

describe('dry runs', () => {
  it('forget --dry-run and prune --dry-run take no lock: an exclusive lock of a dead device does not block them', async () => {
    const { repo, store } = await freshRepo();
    const root = join(tempDir(), 'src');
    makeTree(root);
    await backup(repo, { paths: [root] });
    store.locks.set('stale', { lockId: 'stale', exclusive: true, expiresAt: Date.now() + 3600_000 });
    const plan = await forget(repo, { policy: { last: 1 }, dryRun: true });
    expect(plan).toHaveLength(1);
    const r = await prune(repo, { dryRun: true });
    expect(r.deletedPacks).toBe(0);
    const real = await forget(repo, { policy: { last: 1 } }).catch((e: unknown) => e);
    expect(isClientError(real) || (real as { code?: string }).code === 'repository-locked').toBe(true);
  });

  it('prune --dry-run reports exactly what prune then does (and forget --dry-run --prune what both would)', async () => {
    const { repo } = await freshRepo();
    const root = join(tempDir(), 'src');
    mkdirSync(root);
    for (let i = 0; i < 4; i++) {
      writeFileSync(join(root, `f${i}`), randomBytes(1_500_000));
      writeFileSync(join(root, 'changing'), randomBytes(3_000_000));
      await backup(repo, { paths: [root] });
    }
    const snapshots = await repo.snapshots();
    const going = new Set(forgetPlan(snapshots, { policy: { last: 1 } }).flatMap((g) => g.remove.map((s) => s.id)));
    const predicted = await prune(repo, { dryRun: true, without: going });
    await forget(repo, { policy: { last: 1 } });
    const dry = await prune(repo, { dryRun: true });
    expect(dry).toEqual(predicted);
    expect(dry.deletedPacks + dry.repackedPacks).toBeGreaterThan(0);
    const real = await prune(repo);
    expect(real).toEqual(dry);
  });
});

describe('progress totals', () => {
  it('hard links: the scan counts each link as a file and its bytes once, as the backup\'s progress does', async () => {
    const { repo } = await freshRepo();
    const root = join(tempDir(), 'hl');
    mkdirSync(root);
    for (let i = 0; i < 11; i++) {
      writeFileSync(join(root, `f${i}`), randomBytes(1000 + i));
      linkSync(join(root, `f${i}`), join(root, `g${i}`));
    }
    const last: { files: number; bytes: number }[] = [];
    await backup(repo, { paths: [root], onProgress: (p) => last.push({ files: p.files, bytes: p.bytes }) });
    expect(scanTotals([root])).toEqual(last.at(-1));
    expect(scanTotals([root])).toEqual({ files: 22, bytes: 11 * 1000 + 55 });
  });
});

