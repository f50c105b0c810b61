// The blob-writer session's state machine (client/repo/packs/blob-writer.ts): a failed pack store fails the session
// and finish aborts it with an index of what was stored; finished and aborted sessions take no more blobs; a second
// abort or an abort after finish changes nothing.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BlobWriter } from '../../../../client/repo/packs/blob-writer.js';
import { freshRepo } from '../engine-helpers.js';
import { segmentOf } from './blob-writer.case.js';

const MiB = 1024 * 1024;

describe('blob-writer session lifecycle', () => {
  it('open → failed when a pack cannot be stored; finish rethrows that failure, ends aborted, and indexes only the packs stored', async () => {
    const { repo, store } = await freshRepo();
    let dataPuts = 0;
    store.hook = (op, name) => {
      if (op === 'put' && name?.type === 'data' && ++dataPuts === 2) throw new Error('disk on fire');
    };
    const writer = new BlobWriter(repo, { uploads: 1 });
    // 4 MiB blobs: three fill a pack, the fourth closes it; the seventh closes the second, whose store fails
    const blobs = Array.from({ length: 7 }, () => randomBytes(4 * MiB));
    const s = segmentOf(repo, blobs);
    await writer.saveSegment(s.seg, s.buf);
    await expect(writer.finish()).rejects.toThrow('disk on fire');
    expect(writer.state).toBe('aborted');
    const indexes = [...store.objects.keys()].filter((k) => k.startsWith('index/'));
    expect(indexes).toHaveLength(1);
    await repo.loadIndex();
    expect(s.ids.map((id) => repo.index.has(id))).toEqual([true, true, true, false, false, false, false]);
    expect(() => writer.saveTree(Buffer.from('{}'))).toThrow(/aborted/);
  });

  it('a failure while open is the session state: the next blob rejects with it', async () => {
    const { repo, store } = await freshRepo();
    store.hook = (op, name) => {
      if (op === 'put' && name?.type === 'data') throw new Error('no space');
    };
    const writer = new BlobWriter(repo, { uploads: 1 });
    const s = segmentOf(repo, [0, 1, 2, 3].map(() => randomBytes(4 * MiB)));
    await writer.saveSegment(s.seg, s.buf);
    // the second pack cannot start before the first one's slot is back, by which time its failure is recorded
    const more = segmentOf(repo, [0, 1, 2].map(() => randomBytes(4 * MiB)));
    await expect(writer.saveSegment(more.seg, more.buf)).rejects.toThrow('no space');
    expect(writer.state).toBe('failed');
    await writer.abort();
    expect(writer.state).toBe('aborted');
    expect([...store.objects.keys()].filter((k) => k.startsWith('index/'))).toEqual([]);
  });

  it('finished takes no more blobs and cannot finish again; abort after finish changes nothing', async () => {
    const { repo, store } = await freshRepo();
    const writer = new BlobWriter(repo);
    writer.saveTree(Buffer.from('{"nodes":[]}'));
    await writer.finish();
    expect(writer.state).toBe('finished');
    const before = [...store.objects.keys()].sort();
    expect(() => writer.saveTree(Buffer.from('{"nodes":[1]}'))).toThrow('blob writer is finished: no more blobs');
    await expect(writer.add('data', 'ab'.repeat(32), Buffer.from('x'), 1, 0)).rejects.toThrow('blob writer is finished');
    await expect(writer.finish()).rejects.toThrow('blob writer is finished');
    await writer.abort(new Error('late'));
    expect(writer.state).toBe('finished');
    expect([...store.objects.keys()].sort()).toEqual(before);
  });

  it('an aborted signal stops the session at the next blob with the signal reason', async () => {
    const { repo } = await freshRepo();
    const controller = new AbortController();
    const writer = new BlobWriter(repo, { signal: controller.signal });
    controller.abort(new Error('ctrl-c'));
    const s = segmentOf(repo, [randomBytes(100)]);
    await expect(writer.saveSegment(s.seg, s.buf)).rejects.toThrow('ctrl-c');
    await writer.abort(controller.signal.reason);
    expect(writer.state).toBe('aborted');
  });
});
