// Types of blob-ops.js (chunking, sealing and opening run on blob workers or the main thread).

import type { ArenaScanner } from './cut-points.js';

export interface ChunkerTables {
  gear: Uint32Array;
  hard: number;
  easy: number;
  minSize: number;
  avgSize: number;
  maxSize: number;
}

export interface ChunkTask {
  chunker: ChunkerTables;
  hmacKey: Uint8Array;
  compress: boolean;
  /** The bytes: `buf` (transferred), or the slab (blob-pool.ts) with this id. */
  buf?: ArrayBuffer | SharedArrayBuffer;
  /** Where the bytes start in `buf` (a slab's offset in the pool's shared memory; default 0). */
  base?: number;
  /** Set by a blob worker for a slab of the pool's arena: `buf` is the arena's memory, scanned in place. */
  scanner?: ArenaScanner;
  slab?: number;
  length: number;
  /** [offset, length, eof] */
  segments: [number, number, boolean][];
}

export interface ChunkOut {
  o: number;
  l: number;
  id: string;
  z: Uint8Array | undefined;
}

export interface SegmentOut {
  chunks: ChunkOut[];
  consumed: number;
}

export interface SealTask {
  prefix: Uint8Array;
  payloadKey: Uint8Array;
  /** The plaintext: `buf` (transferred), or the slab (blob-pool.ts) with this id. */
  buf?: ArrayBuffer | SharedArrayBuffer;
  /** Where the plaintext starts in `buf` (a slab's offset in the pool's shared memory; default 0). */
  base?: number;
  slab?: number;
  length: number;
  /** Where to put the age file when it fits (transferred; comes back as the result's `file`). */
  out?: ArrayBuffer;
}

export interface OpenTask {
  payloadKey: Uint8Array;
  counter: number;
  final: boolean;
  buf: ArrayBuffer | SharedArrayBuffer;
  /** Where the sealed chunks start in `buf` (default 0). */
  at?: number;
  length: number;
  /** [o, l, z, u] relative to the run's first plaintext byte. */
  blobs: [number, number, number, number][];
  /** When set, each blob's HMAC id is checked against these (check --read-data). */
  verify?: string[];
  hmacKey?: Uint8Array;
  /** Open over `buf` itself (a buffer nobody reads again): less memory at once. */
  inPlace?: boolean;
  /** When set, the blobs are written into these existing files instead of returned: per blob, [file, offset] each. */
  writes?: { paths: string[]; to: [number, number][][] };
}

/** Files a restore task keeps open at once. */
export declare const MAX_OPEN_FILES: number;
export declare function maybeCompress(blob: Uint8Array): Buffer | undefined;
export declare function compressAlways(blob: Uint8Array): Buffer;
export declare function blobId(hmacKey: Uint8Array, data: Uint8Array): string;
export declare function chunkSegments(t: ChunkTask): SegmentOut[];
export declare function sealedSize(prefixLength: number, length: number): number;
export declare function sealedPieces(t: SealTask): Generator<Uint8Array[]>;
export declare function sealObject(t: SealTask): Buffer;
export declare function openBlobs(t: OpenTask): { plain: Buffer; at: number[] };
export declare const CHUNK_SIZE: number;
export declare const SEALED_CHUNK_SIZE: number;
export declare const DEFLATE_LEVEL: number;
