// forget applies --keep rules per group (host + paths), never across groups, and reports every deletion;
// prune then keeps everything the remaining snapshots reference and deletes the packs nothing references.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../../../client/repo/commands/backup.js';
import { check } from '../../../../client/repo/commands/check.js';
import { applyPolicy, forget } from '../../../../client/repo/commands/forget.js';
import { prune } from '../../../../client/repo/commands/prune.js';
import { restore } from '../../../../client/repo/commands/restore.js';
import type { Snapshot } from '../../../../client/repo/snapshot.js';
import { describeTree, freshRepo, tempDir } from '../engine-helpers.js';

const snap = (id: string, time: string, host = 'h', paths = ['/p']): Snapshot => ({
  version: 1, id, time, host, user: '', paths, tags: [], tree: '0'.repeat(64), parent: null, incomplete: false, skipped: [],
  summary: { files: 0, dirs: 0, symlinks: 0, bytes: 0, newBytes: 0, uploadedBytes: 0 },
});

describe('retention', () => {
  it('keep-daily keeps the newest of each of the newest n days; keep-last the newest n', () => {
    const s = [snap('a', '2026-01-01T10:00:00.000Z'), snap('b', '2026-01-01T12:00:00.000Z'), snap('c', '2026-01-02T08:00:00.000Z'), snap('d', '2026-01-03T08:00:00.000Z')];
    expect(applyPolicy(s, { daily: 2 }).keep.map((x) => x.id)).toEqual(['d', 'c']);
    expect(applyPolicy(s, { last: 1, daily: 3 }).keep.map((x) => x.id)).toEqual(['d', 'c', 'b']);
    expect(applyPolicy(s, { monthly: 1 }).keep.map((x) => x.id)).toEqual(['d']);
    expect(applyPolicy(s, { weekly: 5 }).keep.map((x) => x.id)).toEqual(['d']); // one ISO week (Thu–Sat)
  });

  it('forget works per group and never deletes another group\'s snapshots; prune frees only unreferenced packs', async () => {
    const { repo, store, home } = await freshRepo();
    const base = tempDir();
    const a = join(base, 'a');
    const b = join(base, 'b');
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(b, 'stays'), randomBytes(3 * 1024 * 1024));
    for (let i = 0; i < 3; i++) {
      writeFileSync(join(a, 'changing'), randomBytes(2 * 1024 * 1024));
      await backup(repo, { paths: [a] });
    }
    const bSnap = (await backup(repo, { paths: [b] })).snapshot;
    const deleted: string[] = [];
    const plan = await forget(repo, { policy: { last: 1 }, onDelete: (s) => deleted.push(s.id) });
    expect(plan.map((g) => g.keep.length)).toEqual([1, 1]);
    expect(deleted).toHaveLength(2);
    const left = await repo.snapshots();
    expect(left.map((s) => s.id)).toContain(bSnap.id);
    expect(left).toHaveLength(2);
    const dataBefore = [...store.objects.keys()].filter((k) => k.startsWith('data/')).length;
    const reported: string[] = [];
    const r = await prune(repo, { onDelete: (n, why) => reported.push(`${n.type}:${why}`) });
    expect(r.deletedPacks).toBeGreaterThan(0);
    expect(reported.filter((x) => x.startsWith('data:')).length).toBe(r.deletedPacks);
    expect([...store.objects.keys()].filter((k) => k.startsWith('index/'))).toHaveLength(1);
    expect([...store.objects.keys()].filter((k) => k.startsWith('data/')).length).toBeLessThan(dataBefore);
    expect((await check(repo, { readData: true })).errors).toEqual([]);
    for (const s of left) {
      const out = join(tempDir(), 'out');
      await restore(repo, s, out, { home });
      const src = s.paths[0] === a ? a : b;
      expect(describeTree(join(out, src === a ? 'a' : 'b'))['changing']?.sha ?? describeTree(join(out, 'b'))['stays']!.sha).toBe(
        describeTree(src)[src === a ? 'changing' : 'stays']!.sha);
    }
  });
});
