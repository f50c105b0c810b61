// The chunker's hash loops in WebAssembly (client/repo/blobs/cut-points.wat) against the JavaScript reference
// (findCutsJs): the same cuts and the same state after every piece, for pieces of any size, small chunk
// parameters (many cuts, every branch) and the repository's (chunks crossing the 1 MiB window); and the
// committed module is what the .wat builds to.

import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SharedArena } from '../../../../client/repo/blobs/arena.js';
import { arenaScanner, findCuts, findCutsJs } from '../../../../client/repo/blobs/cut-points.js';
import { CHUNKER_PARAMS, chunkerTables, type ChunkerParams } from '../../../../client/repo/blobs/chunker.js';
// @ts-expect-error -- a plain-JavaScript build script without types
import { MODULES, generated } from '../../../../scripts/build-wasm.mjs';

/** Deterministic pseudo-random bytes (ChaCha20 keystream). */
function stream(seed: number, n: number): Buffer {
  const key = Buffer.alloc(32, seed);
  return createCipheriv('chacha20', key, Buffer.alloc(16, 0)).update(Buffer.alloc(n));
}

/** The cuts of `data` fed in `pieces` under K = 32 bytes of `seed`, and the state after each piece. */
function cutsOf(find: typeof findCuts, seed: number, p: ChunkerParams, data: Buffer, pieces: number[]) {
  const tables = chunkerTables(Buffer.alloc(32, seed), p);
  const cuts: number[] = [];
  const states: string[] = [];
  const state = { hash: 0, length: 0 };
  let at = 0;
  for (const l of pieces) {
    find(tables, state, data.subarray(at, at + l), cuts);
    states.push(`${state.hash}/${state.length}`);
    at += l;
  }
  return { cuts, states };
}

function pieces(seed: number, total: number, max: number): number[] {
  const out: number[] = [];
  let x = seed;
  let left = total;
  while (left > 0) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const l = Math.min(left, 1 + (x % max));
    out.push(l);
    left -= l;
  }
  return out;
}

describe('chunker cut points in WebAssembly', () => {
  it('the committed module is what cut-points.wat builds to', async () => {
    const built = (await generated(MODULES[0])) as string;
    expect(readFileSync(new URL('../../../../client/repo/blobs/cut-points-wasm.ts', import.meta.url), 'utf8')).toBe(built);
  });

  it.for([1, 2, 3, 4, 5, 6, 7, 8])('small parameters, pieces of every size (seed %i): the same cuts and states as JavaScript', (seed) => {
    const p = { minSize: 256, avgSize: 1024, maxSize: 8192 };
    const data = stream(seed, 400_000);
    const split = pieces(seed, data.length, seed % 2 ? 70_000 : 900);
    const js = cutsOf(findCutsJs, seed, p, data, split);
    expect(js.cuts.length).toBeGreaterThan(100);
    expect(cutsOf(findCuts, seed, p, data, split)).toEqual(js);
  });

  it('repository parameters over 40 MiB in 3 MiB pieces: chunks cross the 1 MiB window, the same cuts', () => {
    const data = stream(9, 40 * 1024 * 1024);
    const split = pieces(9, data.length, 3 * 1024 * 1024);
    const js = cutsOf(findCutsJs, 9, CHUNKER_PARAMS, data, split);
    expect(js.cuts.length).toBeGreaterThan(20);
    expect(cutsOf(findCuts, 9, CHUNKER_PARAMS, data, split)).toEqual(js);
  });

  it.for([0, 1, 3, 7])('data in shared memory at byte offset %i (the blob pool\'s slabs): the same cuts as JavaScript', (offset) => {
    const p = { minSize: 256, avgSize: 1024, maxSize: 8192 };
    const source = stream(10 + offset, 300_000);
    const shared = Buffer.from(new SharedArrayBuffer(source.length + offset), offset, source.length);
    source.copy(shared);
    const split = pieces(offset + 1, source.length, 5_000);
    const js = cutsOf(findCutsJs, 10 + offset, p, source, split);
    expect(js.cuts.length).toBeGreaterThan(100);
    expect(cutsOf(findCuts, 10 + offset, p, shared, split)).toEqual(js);
  });

  it.for([0, 1, 3, 7])('data in the blob pool\'s arena at byte offset %i, hashed where it is: the same cuts as JavaScript', (offset) => {
    const arena = new SharedArena(8 * 1024 * 1024);
    const gearRegion = arena.alloc(1024)!;
    const scanner = arenaScanner(arena.memory, gearRegion.byteOffset)!;
    expect(scanner).toBeDefined();
    const source = stream(20 + offset, 3 * 1024 * 1024);
    const region = arena.alloc(source.length + offset)!;
    const inArena = region.subarray(offset, offset + source.length);
    source.copy(inArena);
    const split = pieces(offset + 2, source.length, 200_000);
    for (const p of [{ minSize: 256, avgSize: 1024, maxSize: 8192 }, CHUNKER_PARAMS]) {
      const js = cutsOf(findCutsJs, 20 + offset, p, source, split);
      expect(js.cuts.length).toBeGreaterThan(2);
      const withScanner: typeof findCuts = (t, state, data, cuts) => findCuts(t, state, data, cuts, scanner);
      const inPlace = cutsOf(withScanner, 20 + offset, p, inArena, split);
      expect(inPlace).toEqual(js);
    }
    // the scanner kept its gear table in its own 1 KiB, and wrote nothing else
    const { gear } = chunkerTables(Buffer.alloc(32, 20 + offset));
    expect(Buffer.from(gearRegion.buffer, gearRegion.byteOffset, 1024).equals(Buffer.from(gear.buffer, gear.byteOffset, 1024))).toBe(true);
    expect(inArena.equals(source)).toBe(true);
  });

  it('a run of zeros (the hash never cuts before the maximum): chunks of exactly the maximum, as in JavaScript', () => {
    const p = { minSize: 256, avgSize: 1024, maxSize: 8192 };
    const data = Buffer.alloc(100_000);
    const js = cutsOf(findCutsJs, 1, p, data, [data.length]);
    expect(cutsOf(findCuts, 1, p, data, [data.length])).toEqual(js);
  });
});
