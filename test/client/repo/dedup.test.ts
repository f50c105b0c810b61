// Deduplication (docs/repository.md "Blobs", "Chunking"): an unchanged tree uploads no data objects and reads
// no file, and a 1 % in-place edit of a 64 MiB random file stores only the chunks around the edit. With the
// format's chunk sizes (512 KiB–8 MiB, ~1.19 MiB on average) a contiguous 0.64 MiB edit touches the chunk it
// starts in, the ones it covers and the one or two after it until the cut points realign: 2–4 chunks, so the
// bound asserted is 8 % of the file (measured 4.6–7 %); the 3 % the issue asked for would need smaller chunks.

import { randomBytes } from 'node:crypto';
import { mkdirSync, openSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../../client/repo/backup.js';
import { freshRepo, tempDir } from './engine-helpers.js';

const MiB = 1024 * 1024;

describe('dedup', () => {
  it('an unchanged tree uploads no data pack and reads no file', async () => {
    const { repo, store } = await freshRepo();
    const root = join(tempDir(), 'tree');
    mkdirSync(join(root, 'a'), { recursive: true });
    for (let i = 0; i < 50; i++) writeFileSync(join(root, 'a', `f${i}`), randomBytes(1000 + i * 3000));
    writeFileSync(join(root, 'big'), randomBytes(10 * MiB));
    await backup(repo, { paths: [root] });
    const dataPuts = () => [...store.objects.keys()].filter((k) => k.startsWith('data/')).length;
    const packsBefore = dataPuts();
    const putsBefore = store.putCount;
    const read: string[] = [];
    const second = await backup(repo, { paths: [root], beforeRead: (p) => read.push(p) });
    expect(read).toEqual([]);
    expect(dataPuts()).toBe(packsBefore);
    expect(store.putCount - putsBefore).toBe(1); // the snapshot only
    expect(second.snapshot.summary.newBytes).toBe(0);
    expect(second.snapshot.summary.bytes).toBe(50 * 1000 + 3000 * (49 * 50) / 2 + 10 * MiB); // unchanged files count: the snapshot's size
    expect(second.snapshot.parent).not.toBeNull();
  });

  it('1% of a 64 MiB random file changed in place stores only the chunks around the edit (at most 8% more)', async () => {
    const { repo, store } = await freshRepo();
    const dir = tempDir();
    const file = join(dir, 'big.bin');
    writeFileSync(file, randomBytes(64 * MiB));
    await backup(repo, { paths: [dir] });
    const before = store.putBytes;
    const fd = openSync(file, 'r+');
    writeSync(fd, randomBytes(Math.round(0.64 * MiB)), 0, Math.round(0.64 * MiB), 30 * MiB);
    closeSync(fd);
    const second = await backup(repo, { paths: [dir] });
    const added = store.putBytes - before;
    expect(added).toBeLessThanOrEqual(0.08 * 64 * MiB);
    expect(second.snapshot.summary.newBytes).toBeGreaterThan(0);
  });
});
