// Content-defined chunking keyed by the backup key K (docs/repository.md "Chunking"): FastCDC's normalized
// chunking (Xia et al., USENIX ATC 2016) over a Gear rolling hash whose 256-entry table is derived from K, so
// the cut points, and with them every chunk length, depend on K: whoever sees only ciphertext sizes cannot test
// whether a known file is in the repository by its chunk lengths. Chunking is not a cryptographic primitive; the
// keying (HKDF-SHA256 from node:crypto) is what makes the boundaries secret.
//
// A cut is made after the byte at which the hash's top bits under a mask are all zero: a harder mask (more bits)
// before the average size, an easier one after it, which narrows the size distribution around the average;
// nothing is hashed before the minimum size (cut-point skipping), and a chunk never exceeds the maximum.

import { hkdfSync } from 'node:crypto';
import { type CutState, findCuts } from './cut-points.js';

/**
 * The chunker's sizes in bytes: the one shape of them. A repository's config names them (`min`, `avg`, `max` in its
 * JSON, docs/repository.md "Config"; repository.ts reads them into this), CHUNKER_PARAMS for a new one.
 */
export interface ChunkerParams {
  minSize: number;
  avgSize: number;
  maxSize: number;
}

/**
 * What the cut-point loop (cut-points.ts) runs with: the sizes, and derived from K and them the gear table and the
 * two masks, made only by chunkerTables. It crosses to the blob workers inside each chunk task.
 */
export interface ChunkerTables extends ChunkerParams {
  /** The 256 gear values of K (gearTable). */
  gear: Uint32Array;
  /** The mask before the average size (2 bits harder than log2(avg)) and after it (2 bits easier). */
  hard: number;
  easy: number;
}

/**
 * Repository version 1 parameters: 256 KiB ≤ chunk ≤ 4 MiB, about 600 KiB on average (half restic's sizes, so an
 * edit in place re-stores less: 1% of a 224 MiB file changed stored 1.1–2.5% more over 20 keys, against 1.2–3.3%
 * with 512 KiB–8 MiB).
 */
export const CHUNKER_PARAMS: ChunkerParams = { minSize: 256 * 1024, avgSize: 512 * 1024, maxSize: 4 * 1024 * 1024 };

/** HKDF-SHA256 `info` of the gear table; changing it is a repository version change. */
export const GEAR_LABEL = 'bkv/v1/chunker-gear';

/** The 256 32-bit gear values of K: HKDF-SHA256(ikm = K, salt = empty, info = GEAR_LABEL, L = 1024), little-endian. */
export function gearTable(key: Uint8Array): Uint32Array {
  if (key.length !== 32) throw new RangeError('backup key must be 32 bytes');
  const bytes = new Uint8Array(hkdfSync('sha256', key, new Uint8Array(0), Buffer.from(GEAR_LABEL, 'utf8'), 1024));
  const table = new Uint32Array(256);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < 256; i++) table[i] = view.getUint32(i * 4, true);
  return table;
}

/** A mask of `bits` ones in the top bits of a 32-bit word. */
export function topMask(bits: number): number {
  return bits >= 32 ? 0xffffffff : ((2 ** bits - 1) * 2 ** (32 - bits)) >>> 0;
}

/** The chunker tables of K for `params` (refused with a RangeError when the sizes are not a chunker's). */
export function chunkerTables(key: Uint8Array, params: ChunkerParams = CHUNKER_PARAMS): ChunkerTables {
  checkParams(params);
  const bits = Math.log2(params.avgSize);
  return {
    gear: gearTable(key), hard: topMask(bits + 2), easy: topMask(bits - 2),
    minSize: params.minSize, avgSize: params.avgSize, maxSize: params.maxSize,
  };
}

/** Largest `max` a repository may name: the backup reads large files in windows of this size (backup.ts), each
 * holding a whole chunk. */
export const MAX_CHUNK_LIMIT = 8 * 1024 * 1024;

/** Whether a repository's config names chunker sizes this bkv can write with (any it can read). */
export function usableParams(p: ChunkerParams): boolean {
  try {
    checkParams(p);
  } catch {
    return false;
  }
  return Number.isInteger(p.minSize) && Number.isInteger(p.maxSize) && p.minSize >= 64 * 1024 && p.maxSize <= MAX_CHUNK_LIMIT;
}

function checkParams(p: ChunkerParams): void {
  const pow2 = (n: number) => Number.isInteger(Math.log2(n));
  if (!(p.minSize >= 64 && p.minSize < p.avgSize && p.avgSize < p.maxSize && pow2(p.avgSize) && p.maxSize <= 2 ** 30)) {
    throw new RangeError('chunker sizes must satisfy 64 <= min < avg < max <= 1 GiB with avg a power of two');
  }
}

/**
 * Splits a stream into chunks. `push` takes input pieces of any size and returns the lengths of the chunks that
 * ended inside what was pushed so far (in order); `end` returns the length of the last chunk (0 when empty). The
 * caller keeps the bytes; the chunker only finds boundaries, so no input is copied.
 */
export class Chunker {
  private readonly tables: ChunkerTables;
  /** The rolling hash and the bytes of the current chunk seen so far. */
  private readonly state: CutState = { hash: 0, length: 0 };

  constructor(key: Uint8Array, params: ChunkerParams = CHUNKER_PARAMS) {
    this.tables = chunkerTables(key, params);
  }

  /** Boundaries found in `data`: the lengths of the chunks that ended in it. */
  push(data: Uint8Array): number[] {
    const cuts: number[] = [];
    findCuts(this.tables, this.state, data, cuts);
    return cuts;
  }

  /** The length of the final chunk (what is left), and the chunker is ready for a new stream. */
  end(): number {
    const last = this.state.length;
    this.state.length = 0;
    this.state.hash = 0;
    return last;
  }
}

/** Chunk lengths of a whole buffer (tests, small files). */
export function chunkLengths(key: Uint8Array, data: Uint8Array, params: ChunkerParams = CHUNKER_PARAMS): number[] {
  const c = new Chunker(key, params);
  const cuts = c.push(data);
  const last = c.end();
  return last > 0 ? [...cuts, last] : cuts;
}
