// The blob pool's shared memory (client/repo/blobs/arena.ts): regions that never overlap, copies between them that give
// exactly what TypedArray.set gives at every alignment (they run as memory.copy), the same bounds errors, and
// slabs cut from it that the workers read at their offset (a chunk or seal task on an arena slab gives what the
// same task gives on this thread, and the chunker hashes the slab in place). And the committed module is what
// arena.wat builds to.

import { createCipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SharedArena, copyInto, copyWithinInto } from '../../../../client/repo/blobs/arena.js';
import { BlobPool } from '../../../../client/repo/blobs/blob-pool.js';
import { deriveRepoKeys } from '../../../../client/repo/keys.js';
// @ts-expect-error -- a plain-JavaScript build script without types
import { MODULES, generated } from '../../../../scripts/build-wasm.mjs';

const MiB = 1024 * 1024;

function pattern(seed: number, n: number): Buffer {
  return createCipheriv('chacha20', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(n));
}

describe('SharedArena', () => {
  it('the committed module is what arena.wat builds to', async () => {
    const built = (await generated(MODULES[1])) as string;
    expect(readFileSync(new URL('../../../../client/repo/blobs/arena-wasm.ts', import.meta.url), 'utf8')).toBe(built);
  });

  it('cuts regions that do not overlap and stops at its maximum', () => {
    const arena = new SharedArena(4 * MiB);
    const sizes = [100, 65536, 1, 3 * 65536 + 7, MiB];
    const regions = sizes.map((n, i) => {
      const r = arena.alloc(n)!;
      expect(r.length).toBe(n);
      expect(r.byteOffset % 64).toBe(0);
      expect(r.every((b) => b === 0)).toBe(true);
      r.set(pattern(i, n));
      return r;
    });
    regions.forEach((r, i) => expect(r.equals(pattern(i, sizes[i]!))).toBe(true));
    for (const r of regions) expect(arena.owns(r)).toBe(true);
    expect(arena.owns(Buffer.alloc(10))).toBe(false);
    expect(arena.alloc(4 * MiB)).toBeUndefined();
    expect(arena.alloc(0)).toBeUndefined();
    expect(arena.alloc(2 * MiB)).toBeDefined();
  });

  it('copies between regions as TypedArray.set does, at every alignment of source and target', () => {
    const arena = new SharedArena(8 * MiB);
    const early = arena.alloc(300_000)!;
    const late = arena.alloc(3 * MiB)!;
    early.set(pattern(1, early.length));
    for (let s = 0; s < 8; s++) {
      for (let d = 0; d < 8; d++) {
        const n = 200_000 + s * 13 + d;
        late.fill(0xee);
        copyInto(late, 1000 + d, early.subarray(s, s + n));
        const expected = Buffer.alloc(late.length, 0xee);
        expected.set(early.subarray(s, s + n), 1000 + d);
        expect(late.equals(expected)).toBe(true);
      }
    }
  });

  it('refuses a copy that does not fit, as set does, and changes nothing', () => {
    const arena = new SharedArena(MiB);
    const a = arena.alloc(1000)!;
    const b = arena.alloc(100)!;
    a.fill(1);
    b.fill(2);
    expect(() => copyInto(b, 1, a.subarray(0, 100))).toThrow(RangeError);
    expect(() => copyInto(b, -1, a.subarray(0, 10))).toThrow(RangeError);
    expect(() => b.set(a.subarray(0, 100), 1)).toThrow(RangeError);
    expect(b.every((x) => x === 2)).toBe(true);
    // and the bytes after b (another region) are untouched
    const c = arena.alloc(100)!;
    expect(c.every((x) => x === 0)).toBe(true);
  });

  it('falls back to set between an arena and other memory, both ways', () => {
    const arena = new SharedArena(MiB);
    const r = arena.alloc(5000)!;
    const plain = pattern(3, 5000);
    copyInto(r, 3, plain.subarray(0, 4000));
    expect(r.subarray(3, 4003).equals(plain.subarray(0, 4000))).toBe(true);
    const out = Buffer.alloc(5000);
    copyInto(out, 7, r.subarray(1, 4001));
    expect(out.subarray(7, 4007).equals(r.subarray(1, 4001))).toBe(true);
  });

  it('moves bytes within a region as copyWithin does, overlapping either way', () => {
    const arena = new SharedArena(MiB);
    const r = arena.alloc(100_000)!;
    for (const [to, from, end] of [[0, 3, 90_000], [5, 0, 80_000], [0, 70_001, 100_000], [99_990, 0, 10]] as const) {
      r.set(pattern(to + from, r.length));
      const expected = Buffer.from(r);
      expected.copyWithin(to, from, end);
      copyWithinInto(r, to, from, end);
      expect(r.equals(expected)).toBe(true);
    }
  });
});

describe('slabs in the arena', () => {
  const pool = new BlobPool(1);
  const inline = new BlobPool(0);
  afterAll(async () => {
    await pool.close();
    await inline.close();
  });

  it('are cut from the arena with workers, and a worker reads a slab at its offset', async () => {
    const keys = deriveRepoKeys(randomBytes(32));
    const data = pattern(9, 3 * MiB);
    const first = pool.takeSlab(MiB); // so the next one does not start at offset 0
    const slab = pool.takeSlab(data.length);
    expect(slab.bytes.byteOffset).toBeGreaterThan(0);
    expect(pool.arenaSlabs).toBe(2);
    slab.bytes.set(data);
    const task = { chunker: keys.chunker, hmacKey: keys.blobIdKey, compress: true, length: data.length, segments: [[0, data.length, true]] as [number, number, boolean][] };
    const onWorker = await pool.chunk({ ...task, slab: slab.id });
    const here = await inline.chunk({ ...task, buf: Buffer.from(data).buffer });
    expect(onWorker.segments).toEqual(here.segments);
    expect(onWorker.inPlace).toBe(true);
    expect(here.inPlace).toBeFalsy();
    expect(onWorker.segments[0]!.chunks.length).toBeGreaterThan(1);
    const sealTask = { prefix: Buffer.from('prefix'), payloadKey: randomBytes(32), length: data.length };
    const sealed = await pool.seal({ ...sealTask, slab: slab.id });
    const sealedHere = await inline.seal({ ...sealTask, buf: Buffer.from(data).buffer });
    expect(Buffer.from(sealed.file, 0, sealed.size).equals(Buffer.from(sealedHere.file, 0, sealedHere.size))).toBe(true);
    pool.giveSlab(first);
    pool.giveSlab(slab);
  });

  it('serve requests of their own kind: a read window never takes a free pack slab, a batch never a window', () => {
    const [batch, window, pack] = [5 * MiB + 1, 8 * MiB, 13 * MiB];
    const packSlab = inline.takeSlab(pack);
    const windowSlab = inline.takeSlab(window);
    inline.giveSlab(packSlab);
    inline.giveSlab(windowSlab);
    const w1 = inline.takeSlab(window);
    expect(w1.id).toBe(windowSlab.id);
    const w2 = inline.takeSlab(window); // the pack's slab is free but is not spent on a window
    expect(w2.id).not.toBe(packSlab.id);
    expect(w2.bytes.length).toBe(window);
    inline.giveSlab(w2);
    const b = inline.takeSlab(batch); // nor a window's on a batch
    expect([w2.id, packSlab.id]).not.toContain(b.id);
    expect(inline.takeSlab(pack).id).toBe(packSlab.id);
    for (const s of [w1, b, packSlab]) inline.giveSlab(s);
  });

  it('are plain memory without workers', () => {
    const slab = inline.takeSlab(MiB);
    expect(slab.bytes.buffer).toBeInstanceOf(ArrayBuffer);
    expect(inline.arenaSlabs).toBe(0);
    inline.giveSlab(slab);
  });
});
