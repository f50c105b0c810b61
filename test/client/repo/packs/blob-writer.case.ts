// The blob-writer session's contract (client/repo/packs/blob-writer.ts), as one suite every store runs:
// blob-writer.memory.test.ts (MemoryRepoStore: sealed here, stored through put) and blob-writer.http.test.ts
// (HttpRepoStore over the local runtime: a data pack sealed on a worker straight into its upload). Each case gets a
// fresh repository and reads what the session stored back through a second opening of it.

import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { blobId } from '../../../../client/repo/blobs/blob-ops.js';
import type { SegmentOut } from '../../../../client/repo/blobs/blob-ops.js';
import { BlobWriter } from '../../../../client/repo/packs/blob-writer.js';
import type { PackEntry } from '../../../../client/repo/packs/index.js';
import { readBlobs } from '../../../../client/repo/packs/pack-reader.js';
import { initRepository, openRepository, type Repository } from '../../../../client/repo/repository.js';
import type { RepoStore } from '../../../../client/repo/storage/store.js';
import { tempDir } from '../engine-helpers.js';

export interface WriterUnderTest {
  repo: Repository;
  /** The same repository opened again: its index is what the store holds. */
  reopen(): Promise<Repository>;
}

const MiB = 1024 * 1024;

/** One segment of `blobs` back to back in one buffer, stored uncompressed. */
export function segmentOf(repo: Repository, blobs: Uint8Array[]): { seg: SegmentOut; buf: Uint8Array; ids: string[] } {
  const buf = Buffer.concat(blobs);
  let o = 0;
  const chunks = blobs.map((b) => {
    const c = { o, l: b.length, id: blobId(repo.keys.blobIdKey, b), z: undefined };
    o += b.length;
    return c;
  });
  return { seg: { chunks, consumed: buf.length }, buf, ids: chunks.map((c) => c.id) };
}

/** Every blob of `packs` as read back from the store (HMAC ids verified), by id. */
export async function readBack(repo: Repository, packs: Iterable<PackEntry>): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const p of packs) await readBlobs(repo, p, p.blobs, (b, plain) => void out.set(b.id, Buffer.from(plain)), { verify: true });
  return out;
}

/** Runs the contract on a fresh repository (one worker) in each store `newStore` makes; closes what it opened. */
export function blobWriterSuite(name: string, newStore: () => Promise<RepoStore>): void {
  const open: Repository[] = [];
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close();
  });
  const make = async (): Promise<WriterUnderTest> => {
    const store = await newStore();
    const key = randomBytes(32);
    const repo = await initRepository(store, key, { home: tempDir('bkv-home-'), workers: 1 });
    open.push(repo);
    return {
      repo,
      reopen: async () => {
        const r = await openRepository(store, key, { home: tempDir('bkv-home-'), workers: 1 });
        open.push(r);
        await r.loadIndex();
        return r;
      },
    };
  };
  describe(`blob-writer session contract: ${name}`, () => {
    it('stores each new blob once (a repeat and an indexed blob are dropped), writes one index at the end, and every blob reads back as written', async () => {
      const { repo, reopen } = await make();
      const a = randomBytes(300_000);
      const b = randomBytes(70_000);
      const writer = new BlobWriter(repo);
      expect(writer.state).toBe('open');
      const one = segmentOf(repo, [a, b, a]);
      expect(await writer.saveSegment(one.seg, one.buf)).toEqual(one.ids);
      const tree = writer.saveTree(Buffer.from('{"nodes":[]}'));
      expect(writer.saveTree(Buffer.from('{"nodes":[]}'))).toBe(tree);
      expect(writer.has(one.ids[0]!) && writer.has(tree)).toBe(true);
      const stored = await writer.finish();
      expect(writer.state).toBe('finished');
      expect(stored.map((p) => p.t)).toEqual(['data', 'tree']);
      expect(stored[0]!.blobs.map((x) => x.id)).toEqual([one.ids[0], one.ids[1]]);

      const again = await reopen();
      expect(again.index.objects.size).toBe(1);
      const back = await readBack(again, again.index.packs.values());
      expect(back.get(one.ids[0]!)!.equals(a)).toBe(true);
      expect(back.get(one.ids[1]!)!.equals(b)).toBe(true);
      expect(back.get(tree)!.toString()).toBe('{"nodes":[]}');

      // a second session over the same repository stores nothing it already has
      await again.loadIndex();
      const second = new BlobWriter(again);
      const seg2 = segmentOf(again, [a, b]);
      await second.saveSegment(seg2.seg, seg2.buf);
      expect(await second.finish()).toEqual([]);
      expect((await reopen()).index.objects.size).toBe(1);
    });

    it('index cadence: with one pack per index, each stored pack gets its own index object', async () => {
      const { repo, reopen } = await make();
      const writer = new BlobWriter(repo, { packsPerIndex: 1 });
      const s = segmentOf(repo, [randomBytes(10_000)]);
      await writer.saveSegment(s.seg, s.buf);
      writer.saveTree(Buffer.from('{"nodes":[{"name":"x"}]}'));
      await writer.finish();
      const again = await reopen();
      expect(again.index.objects.size).toBe(2);
      expect([...again.index.objects.values()].map((o) => o.packs.length)).toEqual([1, 1]);
    });

    it('abort: packs already stored get an index (never a snapshot), the open pack is dropped, and adding afterwards is an error', async () => {
      const { repo, reopen } = await make();
      const writer = new BlobWriter(repo);
      // three 4 MiB blobs fill a pack to its target: the fourth closes it, and it is stored in the background
      const blobs = [0, 1, 2, 3].map(() => randomBytes(4 * MiB));
      const s = segmentOf(repo, blobs);
      await writer.saveSegment(s.seg, s.buf);
      await writer.abort(new Error('interrupted'));
      expect(writer.state).toBe('aborted');
      await expect(writer.finish()).rejects.toThrow(/aborted/);
      expect(() => writer.saveTree(Buffer.from('{}'))).toThrow(/aborted/);

      const again = await reopen();
      expect(await again.snapshots()).toEqual([]);
      expect(again.index.objects.size).toBe(1);
      expect(s.ids.map((id) => again.index.has(id))).toEqual([true, true, true, false]);
      const back = await readBack(again, again.index.packs.values());
      expect(back.get(s.ids[2]!)!.equals(blobs[2]!)).toBe(true);
    });

    it('supersede policy (prune): every blob added is stored even when indexed, no index is written, finish returns the packs in the order they closed', async () => {
      const { repo, reopen } = await make();
      const first = new BlobWriter(repo);
      const x = randomBytes(50_000);
      const s = segmentOf(repo, [x]);
      await first.saveSegment(s.seg, s.buf);
      await first.finish();
      const copier = new BlobWriter(repo, { index: 'supersede', closeData: 'at-target' });
      await copier.add('tree', blobId(repo.keys.blobIdKey, Buffer.from('{"nodes":[]}')), Buffer.from('{"nodes":[]}'), 12, 0);
      await copier.add('data', s.ids[0]!, x, x.length, 0);
      const packs = await copier.finish();
      expect(packs.map((p) => p.t)).toEqual(['data', 'tree']);
      const again = await reopen();
      expect(again.index.objects.size).toBe(1);
      expect(again.index.packs.has(packs[0]!.id)).toBe(false);
      const back = await readBack(again, packs);
      expect(back.get(s.ids[0]!)!.equals(x)).toBe(true);
    });
  });
}
