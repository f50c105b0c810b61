// Prune after an interrupted prune (client/repo/commands/prune.ts): one that stopped after writing its new index (step 2)
// leaves the index objects it superseded in place. The next prune must supersede and delete those too: if it
// deleted only the live index, the superseded objects would come back to life and name the packs it deleted
// ("indexed but missing"). Seen once in CI as an interrupted `bkv prune` followed by a damaged `bkv check`.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../../../client/repo/commands/backup.js';
import { check } from '../../../../client/repo/commands/check.js';
import { forget } from '../../../../client/repo/commands/forget.js';
import { prune } from '../../../../client/repo/commands/prune.js';
import { freshRepo, tempDir } from '../engine-helpers.js';

describe('prune after an interrupted prune', () => {
  it('supersedes and deletes every index object it read, so none it superseded revives; check stays clean', async () => {
    const { repo, store } = await freshRepo();
    const dir = join(tempDir(), 'src');
    mkdirSync(dir);
    writeFileSync(join(dir, 'f'), randomBytes(3 * 1024 * 1024));
    await backup(repo, { paths: [dir] });
    writeFileSync(join(dir, 'f'), randomBytes(3 * 1024 * 1024));
    await backup(repo, { paths: [dir] });
    // an interrupted prune's state: one index replacing every index object, which are all still there
    await repo.loadIndex();
    const before = [...repo.index.objects.keys()];
    expect(before.length).toBeGreaterThan(1);
    await repo.putIndex([...repo.index.packs.values()], before);
    await repo.loadIndex();
    expect(repo.index.read.size).toBe(before.length + 1);

    await forget(repo, { policy: { last: 1 } });
    const r = await prune(repo);
    expect(r.deletedPacks).toBeGreaterThan(0);
    expect(r.deletedIndexes).toBe(before.length + 1);
    const indexes = [...store.objects.keys()].filter((k) => k.startsWith('index/'));
    expect(indexes).toHaveLength(1);
    const c = await check(repo);
    expect(c.errors).toEqual([]);
  });
});
