// The keyed content-defined chunker (client/repo/blobs/chunker.ts, docs/repository.md "Chunking"): bounds, streaming
// equals one-shot, boundaries depend on K, and an edit moves only the chunks around it.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNKER_PARAMS, Chunker, chunkLengths, gearTable, type ChunkerParams } from '../../../../client/repo/blobs/chunker.js';

const SMALL: ChunkerParams = { minSize: 2048, avgSize: 8192, maxSize: 32768 };
const key = (fill: number) => new Uint8Array(32).fill(fill);

/** Deterministic pseudo-random bytes (xorshift32), so every figure below is reproducible. */
function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function chunks(k: Uint8Array, data: Uint8Array, p: ChunkerParams): Uint8Array[] {
  let at = 0;
  return chunkLengths(k, data, p).map((len) => data.subarray(at, (at += len)));
}
const id = (c: Uint8Array) => createHash('sha256').update(c).digest('hex');

describe('chunker', () => {
  it('the gear table is HKDF of K: 256 words, different for another K', () => {
    expect(gearTable(key(1))).toHaveLength(256);
    expect(gearTable(key(1))).toEqual(gearTable(key(1)));
    expect(gearTable(key(1))).not.toEqual(gearTable(key(2)));
  });

  it('every chunk but the last lies within [min, max]; the lengths add up; sizes center on the average', () => {
    const data = noise(4 * 1024 * 1024);
    const lengths = chunkLengths(key(7), data, SMALL);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(data.length);
    for (const len of lengths.slice(0, -1)) {
      expect(len).toBeGreaterThanOrEqual(SMALL.minSize);
      expect(len).toBeLessThanOrEqual(SMALL.maxSize);
    }
    const mean = data.length / lengths.length;
    expect(mean).toBeGreaterThan(SMALL.avgSize * 0.7);
    expect(mean).toBeLessThan(SMALL.avgSize * 1.5);
  });

  it('zeros (no content to cut at) give maximum-size chunks', () => {
    expect(chunkLengths(key(7), new Uint8Array(100_000), SMALL)).toEqual([32768, 32768, 32768, 100_000 - 3 * 32768]);
    expect(chunkLengths(key(7), new Uint8Array(0), SMALL)).toEqual([]);
  });

  it('streaming in pieces of any size finds the same boundaries as one buffer', () => {
    const data = noise(600_000, 3);
    const whole = chunkLengths(key(9), data, SMALL);
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 70_000 }), { maxLength: 30 }), (splits) => {
      const c = new Chunker(key(9), SMALL);
      const got: number[] = [];
      let at = 0;
      for (const s of splits) {
        const end = Math.min(data.length, at + s);
        got.push(...c.push(data.subarray(at, end)));
        at = end;
      }
      got.push(...c.push(data.subarray(at)));
      const last = c.end();
      if (last > 0) got.push(last);
      expect(got).toEqual(whole);
    }), { numRuns: 200 });
  });

  it('boundaries depend on K: the same data cuts elsewhere under another key', () => {
    const data = noise(2 * 1024 * 1024, 5);
    const a = new Set(chunkLengths(key(1), data, SMALL));
    const b = chunkLengths(key(2), data, SMALL);
    const shared = b.filter((len) => a.has(len)).length;
    expect(shared / b.length).toBeLessThan(0.2);
  });

  it('an insertion near the start changes only the chunks around it', () => {
    const data = noise(2 * 1024 * 1024, 11);
    const edited = new Uint8Array(data.length + 100);
    edited.set(data.subarray(0, 5000));
    edited.set(noise(100, 99), 5000);
    edited.set(data.subarray(5000), 5100);
    const before = new Set(chunks(key(4), data, SMALL).map(id));
    const after = chunks(key(4), edited, SMALL);
    const fresh = after.filter((c) => !before.has(id(c)));
    expect(fresh.length).toBeLessThanOrEqual(2);
  });

  it('1% of a 64 MiB file changed in place: at most 3% of it is in new chunks (repository parameters)', () => {
    const size = 64 * 1024 * 1024;
    const data = noise(size, 21);
    const edited = data.slice();
    edited.set(noise(size / 100, 77), size / 2);
    const before = new Set(chunks(key(5), data, CHUNKER_PARAMS).map(id));
    const freshBytes = chunks(key(5), edited, CHUNKER_PARAMS).filter((c) => !before.has(id(c))).reduce((a, c) => a + c.length, 0);
    expect(freshBytes / size).toBeLessThanOrEqual(0.03);
  });

  it('refuses parameters it cannot honour', () => {
    expect(() => new Chunker(key(1), { minSize: 4096, avgSize: 3000, maxSize: 9000 })).toThrow(RangeError);
    expect(() => new Chunker(new Uint8Array(16))).toThrow(RangeError);
  });
});
