// Attacker: whoever can put one object into the repository (a token holder uploading junk under a new snapshot
// id, a writer of S3, a damaged disk) against the other snapshots (docs/threat-model.md "Repository"). One
// snapshot object that fails authentication — junk bytes, an age file to another key, a truncated one — never
// hides the rest: `snapshots` lists the others and names it, restore of the latest works, forget keeps it,
// prune deletes nothing while it exists, and check reports it. Before, one junk snapshot object made every
// listing fail with exit 5 on every device without a cache. Likewise one index object that fails authentication:
// skipped with a warning naming it, prune deletes nothing while it exists, check reports it.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encryptObject } from '../../client/repo/objects.js';
import { backup } from '../../client/repo/commands/backup.js';
import { check } from '../../client/repo/commands/check.js';
import { forget } from '../../client/repo/commands/forget.js';
import { prune } from '../../client/repo/commands/prune.js';
import { openRepository } from '../../client/repo/repository.js';
import { deriveRepoKeys } from '../../client/repo/keys.js';
import { restore } from '../../client/repo/commands/restore.js';
import { newestFirst } from '../../client/repo/snapshot.js';
import { isClientError } from '../../client/errors.js';
import { describeTree, freshRepo, tempDir } from '../client/repo/engine-helpers.js';

const JUNK: [string, (bad: string) => Promise<Uint8Array>][] = [
  ['5 junk bytes', async () => new Uint8Array(Buffer.from('xxxxx'))],
  ['an age file to another key', async (bad) => encryptObject(deriveRepoKeys(randomBytes(32)), Buffer.from(JSON.stringify({ id: bad, version: 1 })))],
];

describe('one unreadable snapshot object never hides the rest', () => {
  it.for(JUNK)('%s: snapshots skips and names it, restore latest works, forget keeps it, prune deletes nothing, check reports it', async ([, make]) => {
    const { repo, store, key } = await freshRepo();
    const src = join(tempDir(), 'a');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), randomBytes(200_000));
    const first = (await backup(repo, { paths: [src] })).snapshot;
    writeFileSync(join(src, 'g'), 'second\n');
    const second = (await backup(repo, { paths: [src] })).snapshot;
    const bad = randomBytes(32).toString('hex');
    store.objects.set(`snapshots/${bad}`, await make(bad));
    const before = [...store.objects.keys()].sort();

    const fresh = await openRepository(store, key, { home: tempDir('bkv-home-') }); // no cache
    const skipped: string[] = [];
    fresh.onSkip = (n) => skipped.push(`${n.type}/${n.id}`);
    const listed = await fresh.snapshots();
    expect(listed.map((s) => s.id).sort()).toEqual([first.id, second.id].sort());
    expect(skipped).toEqual([`snapshots/${bad}`]);

    const latest = [...listed].sort(newestFirst)[0]!;
    expect(latest.id).toBe(second.id);
    const out = join(tempDir(), 'out');
    await restore(fresh, latest, out, { home: tempDir('bkv-home-') });
    expect(describeTree(join(out, 'a'))['g']?.size).toBe(7);

    await forget(fresh, { policy: { last: 1 } });
    expect(store.objects.has(`snapshots/${bad}`)).toBe(true);
    expect(store.objects.has(`snapshots/${second.id}`)).toBe(true);
    const afterForget = [...store.objects.keys()].sort();
    expect(afterForget).toEqual(before.filter((k) => k !== `snapshots/${first.id}`));

    const e = await prune(fresh).then(() => undefined, (x: unknown) => x);
    expect(isClientError(e, 'damaged')).toBe(true);
    expect((e as Error).message).toContain(bad);
    expect([...store.objects.keys()].sort()).toEqual(afterForget); // deleted 0

    const r = await check(fresh);
    expect(r.errors.some((m) => m.includes(bad))).toBe(true);
    await fresh.close();
  });
});

describe('one unreadable index object never hides the rest', () => {
  it.for(JUNK)('%s: the repository opens and lists, snapshots of other indexes restore, prune deletes nothing, check reports it', async ([, make]) => {
    const { repo, store, key } = await freshRepo();
    const src = join(tempDir(), 'a');
    mkdirSync(src);
    writeFileSync(join(src, 'f'), randomBytes(200_000));
    const snap = (await backup(repo, { paths: [src] })).snapshot;
    const bad = randomBytes(32).toString('hex');
    store.objects.set(`index/${bad}`, await make(bad));
    const before = [...store.objects.keys()].sort();

    const fresh = await openRepository(store, key, { home: tempDir('bkv-home-') }); // no cache
    const skipped: string[] = [];
    fresh.onSkip = (n) => skipped.push(`${n.type}/${n.id}`);
    await fresh.loadIndex();
    expect(skipped).toEqual([`index/${bad}`]);
    expect((await fresh.snapshots()).map((s) => s.id)).toEqual([snap.id]);
    const out = join(tempDir(), 'out');
    await restore(fresh, snap, out, { home: tempDir('bkv-home-') });
    expect(describeTree(join(out, 'a'))['f']?.size).toBe(200_000);

    const e = await prune(fresh).then(() => undefined, (x: unknown) => x);
    expect(isClientError(e, 'damaged')).toBe(true);
    expect((e as Error).message).toContain(`index ${bad}`);
    expect([...store.objects.keys()].sort()).toEqual(before); // deleted 0

    const r = await check(fresh);
    expect(r.errors.some((m) => m.includes(`index ${bad}`))).toBe(true);
    await fresh.close();
  });
});
