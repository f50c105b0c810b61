// The CPU-heavy steps of the snapshot engine, which blob-worker.ts runs on worker threads (and the main thread
// too, when it has no workers; a worker runs them bundled, or from source under tsx: client/worker-script.ts): cut a buffer of file contents into chunks and name
// each by its HMAC-SHA256 blob id, compressing the ones a sample shows to be compressible (docs/repository.md
// "Blobs"); seal a pack's plaintext as an age STREAM payload; open a run of sealed STREAM chunks and cut the
// plaintext into blobs, inflating compressed ones. Crypto is node:crypto through client/age/stream-chunks.ts;
// compression is node:zlib.

import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { closeSync, constants as fsc, openSync, writeSync } from 'node:fs';
import { constants as zc, deflateSync, inflateSync } from 'node:zlib';
import { openChunks, sealChunks, SEALED_CHUNK_SIZE, CHUNK_SIZE } from '../../age/stream-chunks.js';
import { type ArenaScanner, findCuts } from './cut-points.js';
import type { ChunkerTables } from './chunker.js';
import { minorGc } from '../../../runtime/gc.js';

/** Bytes of one file (or a window of one) in a chunk task's buffer; `eof` when they end the file. */
export type Segment = [offset: number, length: number, eof: boolean];

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
  segments: Segment[];
}

/** A chunk of a segment: its offset and length in the task's bytes, its blob id, its compressed form if any. */
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

/**
 * A blob in a run of sealed chunks: where its stored bytes are (relative to the run's first plaintext byte),
 * whether they are compressed (1) or not (0), and its length as plaintext.
 */
export type BlobAt = [offset: number, length: number, compressed: number, plainLength: number];

/** Where one blob of a restore goes: into file `file` (an index of `paths`) at `offset`. */
export type BlobPlace = [file: number, offset: number];

export interface OpenTask {
  payloadKey: Uint8Array;
  counter: number;
  final: boolean;
  buf: ArrayBuffer | SharedArrayBuffer;
  /** Where the sealed chunks start in `buf` (default 0). */
  at?: number;
  length: number;
  blobs: BlobAt[];
  /** When set, each blob's HMAC id is checked against these (check --read-data). */
  verify?: string[];
  hmacKey?: Uint8Array;
  /** Open over `buf` itself (a buffer nobody reads again): less memory at once. */
  inPlace?: boolean;
  /** When set, the blobs are written into these existing files instead of returned: per blob, its places. */
  writes?: { paths: string[]; to: BlobPlace[][] };
}

/** What openBlobs gives: the blobs' plaintext back to back and where each starts (none with `writes`). */
export interface OpenedBlobs {
  plain: Buffer;
  at: number[];
}

/** Bytes deflated to decide whether a blob is worth compressing. */
const SAMPLE_BYTES = 16 * 1024;
/** Blobs shorter than this are stored as they are. */
const MIN_COMPRESS_BYTES = 256;
export const DEFLATE_LEVEL = 1;

const keyObjects = new Map<string, KeyObject>();
function keyObject(raw: Uint8Array): KeyObject {
  const hex = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('hex');
  let k = keyObjects.get(hex);
  if (k === undefined) {
    k = createSecretKey(Buffer.from(raw));
    keyObjects.set(hex, k);
  }
  return k;
}

/** c·log2(c) for every count a sample of at most 2 KiB can hold (Math.log2 is a slow software routine in V8). */
let cLogC: Float64Array | undefined;
function countLog(c: number): number {
  if (cLogC === undefined) {
    cLogC = new Float64Array(2049);
    for (let i = 2; i < cLogC.length; i++) cLogC[i] = i * Math.log2(i);
  }
  // `!`: c is a count of at most 2048
  return cLogC[c]!;
}

/**
 * Shannon entropy in bits per byte of `n` (at most 2048) bytes of `blob` taken in four spread-out runs:
 * −Σ p·log2 p with p = c / total, computed as log2(total) − Σ c·log2(c) / total.
 */
function sampleEntropy(blob: Uint8Array, n: number): number {
  const counts = new Uint32Array(256);
  const run = Math.max(1, Math.floor(n / 4));
  const step = Math.max(run, Math.floor((blob.length - run) / 3));
  let total = 0;
  for (let r = 0; r < 4; r++) {
    const at = Math.min(blob.length - run, r * step);
    // `!`: i < blob.length; a byte indexes the 256 counts
    for (let i = at; i < at + run; i++) counts[blob[i]!]!++;
    total += run;
  }
  let sum = 0;
  for (let i = 0; i < 256; i++) sum += countLog(counts[i]!);
  return countLog(total) / total - sum / total;
}

/**
 * The stored form of a blob: its zlib compression when that makes it at least 1/16 smaller, else undefined. A
 * sample decides first, so incompressible data costs next to nothing: bytes spread out over the blob whose
 * entropy is near 8 bits per byte (random, encrypted or already compressed data) are not deflated at all;
 * otherwise a 16 KiB piece is deflated, and only if it shrank enough the whole blob.
 */
export function maybeCompress(blob: Uint8Array): Buffer | undefined {
  if (blob.length < MIN_COMPRESS_BYTES) return undefined;
  const n = Math.min(blob.length, 2048);
  // 2 KiB of uniform random bytes measure ~7.91 bits (the estimate falls short of 8 by ~255 / (2n ln 2)), and
  // anything compressible by 1/16 through its byte distribution alone measures under 7.5
  if (n >= 1024 && sampleEntropy(blob, n) > 7.8) return undefined;
  if (blob.length > SAMPLE_BYTES * 4) {
    const at = Math.floor((blob.length - SAMPLE_BYTES) / 2);
    const sample = deflateSync(blob.subarray(at, at + SAMPLE_BYTES), { level: DEFLATE_LEVEL });
    if (sample.length > SAMPLE_BYTES - SAMPLE_BYTES / 8) return undefined;
  }
  const z = deflateSync(blob, { level: DEFLATE_LEVEL, strategy: zc.Z_DEFAULT_STRATEGY });
  return z.length <= blob.length - blob.length / 16 ? z : undefined;
}

export function compressAlways(blob: Uint8Array): Buffer {
  return deflateSync(blob, { level: DEFLATE_LEVEL });
}

export function blobId(hmacKey: Uint8Array, data: Uint8Array): string {
  return createHmac('sha256', keyObject(hmacKey)).update(data).digest('hex');
}

/**
 * Chunks the segments of `buf` ([offset, length, eof] each, every segment one file's bytes or a window of
 * them). For a segment without eof the bytes after its last cut are not a chunk: `consumed` says where it
 * ended. Returns per segment {chunks: [{o, l, id, z}], consumed}; `z` is the compressed form or undefined.
 */
export function chunkSegments(t: ChunkTask): SegmentOut[] {
  // `as`: a task reaches here with its bytes (blob-pool.ts and blob-worker.ts resolve a slab to its buffer)
  const buf = new Uint8Array(t.buf as ArrayBuffer, t.base ?? 0, t.length);
  const out: SegmentOut[] = [];
  for (const [offset, length, eof] of t.segments) {
    const data = buf.subarray(offset, offset + length);
    const cuts: number[] = [];
    const state = { hash: 0, length: 0 };
    findCuts(t.chunker, state, data, cuts, t.scanner);
    if (eof && state.length > 0) cuts.push(state.length);
    const chunks: ChunkOut[] = [];
    let at = 0;
    for (const l of cuts) {
      const blob = data.subarray(at, at + l);
      const z = t.compress ? maybeCompress(blob) : undefined;
      chunks.push({ o: offset + at, l, id: blobId(t.hmacKey, blob), z });
      at += l;
    }
    out.push({ chunks, consumed: at });
  }
  return out;
}

/** The length of the age file of `length` plaintext bytes after a `prefixLength`-byte header and nonce. */
export function sealedSize(prefixLength: number, length: number): number {
  return prefixLength + length + Math.max(1, Math.ceil(length / CHUNK_SIZE)) * (SEALED_CHUNK_SIZE - CHUNK_SIZE);
}

/**
 * The age file of `length` plaintext bytes at the start of `t.buf` after `t.prefix` (header ‖ nonce), in pieces:
 * first the prefix, then the sealed chunks 16 at a time (each piece a list of node:crypto's buffers). Sealing is
 * deterministic (the payload key and the chunk counters fix every nonce), so the same task gives the same bytes.
 */
export function* sealedPieces(t: SealTask): Generator<Uint8Array[]> {
  // `as`: a task reaches here with its bytes (a slab resolved to its buffer)
  const plain = new Uint8Array(t.buf as ArrayBuffer, t.base ?? 0, t.length);
  const chunks = Math.max(1, Math.ceil(t.length / CHUNK_SIZE));
  yield [t.prefix];
  const key = createSecretKey(Buffer.from(t.payloadKey));
  // 16 chunks at a time, so the cipher's output buffers never add up to the whole pack
  const BATCH = 16;
  for (let c = 0; c < chunks; c += BATCH) {
    const from = c * CHUNK_SIZE;
    const final = c + BATCH >= chunks;
    const length = final ? t.length - from : BATCH * CHUNK_SIZE;
    yield sealChunks(key, c, plain.subarray(from, from + length), length, final);
  }
}

/** The age file of a pack as one buffer (`t.out` when it is big enough: a reused one has no fresh pages to fault in). */
export function sealObject(t: SealTask): Buffer {
  const size = sealedSize(t.prefix.length, t.length);
  const file = t.out !== undefined && t.out.byteLength >= size ? Buffer.from(t.out, 0, size) : Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const piece of sealedPieces(t)) {
    for (const o of piece) {
      file.set(o, at);
      at += o.length;
    }
  }
  if (at !== file.length) throw new Error('sealed size mismatch');
  return file;
}

/**
 * Opens the run apart from its bytes: node:crypto's plaintext buffers, not joined; each blob is then read out
 * of the pieces that cover it (chunk i holds the run's plaintext bytes [i·64 KiB, (i+1)·64 KiB)).
 */
/** The opened plaintext of a run: `pieces(o, l)` are the buffers that hold its bytes [o, o + l), in order. */
interface OpenedRun {
  pieces: (o: number, l: number) => Uint8Array[];
  plainLength: number;
}

function openApart(t: OpenTask, sealed: Uint8Array): OpenedRun {
  const r = openChunks(t.payloadKey, t.counter, sealed, t.length, t.final);
  if (r.error !== undefined) throw new Error(r.error);
  const outs = r.outs;
  let plainLength = 0;
  for (const o of outs) plainLength += o.length;
  const pieces = (o: number, l: number) => {
    const list: Uint8Array[] = [];
    let at = o;
    const end = o + l;
    while (at < end) {
      const c = Math.floor(at / CHUNK_SIZE);
      const from = at - c * CHUNK_SIZE;
      const take = Math.min(end - at, CHUNK_SIZE - from);
      // `!`: the caller checked o + l <= plainLength, so chunk c was opened
      list.push(outs[c]!.subarray(from, from + take));
      at += take;
    }
    return list;
  };
  return { pieces, plainLength };
}

/** Chunks opened at a time by openInPlace. */
const IN_PLACE_BATCH = 16;

/**
 * Opens the run over its own bytes: each chunk's plaintext (once it authenticated) is copied to its plaintext
 * offset in the same buffer, which is never past the chunk's sealed bytes, so the run ends up as one contiguous
 * plaintext and node:crypto's buffers are garbage 1 MiB at a time (collected every 4 MiB) instead of all at once.
 * For a buffer the caller owns and does not read again (a worker's receive buffer).
 */
function openInPlace(t: OpenTask, sealed: Uint8Array): OpenedRun {
  const n = Math.ceil(t.length / SEALED_CHUNK_SIZE);
  let plainLength = 0;
  for (let g = 0; g < n; g += IN_PLACE_BATCH) {
    const from = g * SEALED_CHUNK_SIZE;
    const last = g + IN_PLACE_BATCH >= n;
    const length = last ? t.length - from : IN_PLACE_BATCH * SEALED_CHUNK_SIZE;
    const r = openChunks(t.payloadKey, t.counter + g, sealed.subarray(from, from + length), length, last && t.final);
    if (r.error !== undefined) throw new Error(r.error);
    for (const o of r.outs) {
      sealed.set(o, plainLength);
      plainLength += o.length;
    }
    if ((g / IN_PLACE_BATCH) % 4 === 3) minorGc();
  }
  const plain = sealed.subarray(0, plainLength);
  return { pieces: (o: number, l: number) => [plain.subarray(o, o + l)], plainLength };
}

/**
 * Opens the sealed chunks in `buf` (the first numbered `counter`; `final` when the run ends the object) and
 * returns the blobs at plaintext offsets `blobs` ([o, l, z, u], relative to the run's first chunk) as one
 * buffer of their bytes back to back (inflated), with their offsets in it. Throws on any damage.
 */
export function openBlobs(t: OpenTask): OpenedBlobs {
  // `as`: a Uint8Array takes a SharedArrayBuffer as well (the type asks for ArrayBufferLike in newer lib files)
  const sealed = new Uint8Array(t.buf as ArrayBuffer, t.at ?? 0, t.length);
  const { pieces, plainLength } = t.inPlace ? openInPlace(t, sealed) : openApart(t, sealed);
  if (t.writes !== undefined) return { plain: writeBlobs(t, pieces, plainLength), at: [] };
  let total = 0;
  for (const b of t.blobs) total += b[3];
  const out = Buffer.allocUnsafeSlow(total);
  const at: number[] = [];
  let pos = 0;
  for (const [o, l, z, u] of t.blobs) {
    if (o + l > plainLength) throw new Error('blob beyond the pack');
    const parts = pieces(o, l);
    if (z === 1) {
      const stored = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      const inflated = inflateSync(stored, { maxOutputLength: Math.max(1, u) });
      if (inflated.length !== u) throw new Error('blob inflates to the wrong length');
      out.set(inflated, pos);
    } else {
      if (l !== u) throw new Error('stored blob has the wrong length');
      let p = pos;
      for (const part of parts) {
        out.set(part, p);
        p += part.length;
      }
    }
    if (t.verify !== undefined) {
      // `!`: a task that verifies names its HMAC key (restore.ts, check.ts)
      const id = blobId(t.hmacKey!, out.subarray(pos, pos + u));
      if (id !== t.verify[at.length]) throw new Error(`blob ${t.verify[at.length]} does not match its id`);
    }
    at.push(pos);
    pos += u;
  }
  return { plain: out, at };
}

const NO_BYTES = Buffer.alloc(0);

/**
 * Files a restore task keeps open at once: a run of small files can put thousands of files in one task, and a
 * descriptor for each (until the task's end) ran into the process's limit (EMFILE) with 100k files.
 */
export const MAX_OPEN_FILES = 16;

/**
 * The restore form of openBlobs: every chunk of the run has authenticated (openChunks) before anything is
 * written; each blob's plaintext then goes straight from the opened chunks to its places
 * (`writes.to[i]`: [file index, offset] each) with positional writes, in files that exist already (opened
 * O_WRONLY | O_NOFOLLOW, never created here), so no plaintext crosses threads or is copied out first. At most
 * MAX_OPEN_FILES are open at once (the least recently written is closed first). A failed open or write names
 * its file (`path` on the error, as node:fs does for an open).
 */
function writeBlobs(t: OpenTask, pieces: OpenedRun['pieces'], plainLength: number): Buffer {
  // `!`: openBlobs calls this only for a task with `writes`
  const { paths, to } = t.writes!;
  const fds = new Map<number, number>(); // file index → fd, in order of last use
  const fdOf = (i: number) => {
    let fd = fds.get(i);
    if (fd !== undefined) {
      fds.delete(i);
    } else {
      if (fds.size >= MAX_OPEN_FILES) {
        // `!`: the map holds MAX_OPEN_FILES entries here
        const [oldest, oldFd] = fds.entries().next().value!;
        fds.delete(oldest);
        closeSync(oldFd);
      }
      // `!`: a place names one of the task's files
      fd = openSync(paths[i]!, fsc.O_WRONLY | fsc.O_NOFOLLOW);
    }
    fds.set(i, fd);
    return fd;
  };
  try {
    for (let b = 0; b < t.blobs.length; b++) {
      const [o, l, z, u] = t.blobs[b]!;
      if (o + l > plainLength) throw new Error('blob beyond the pack');
      let parts = pieces(o, l);
      if (z === 1) {
        const inflated = inflateSync(parts.length === 1 ? parts[0]! : Buffer.concat(parts), { maxOutputLength: Math.max(1, u) });
        if (inflated.length !== u) throw new Error('blob inflates to the wrong length');
        parts = [inflated];
      } else if (l !== u) throw new Error('stored blob has the wrong length');
      if (t.verify !== undefined) {
        const h = createHmac('sha256', keyObject(t.hmacKey!));
        for (const part of parts) h.update(part);
        if (h.digest('hex') !== t.verify[b]) throw new Error(`blob ${t.verify[b]} does not match its id`);
      }
      for (const [file, offset] of to[b]!) {
        try {
          const fd = fdOf(file);
          let pos = offset;
          for (const part of parts) {
            writeSkippingZeros(fd, part, pos);
            pos += part.length;
          }
        } catch (e) {
          // a system error (node:fs) names the file it failed on
          if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).path === undefined) (e as NodeJS.ErrnoException).path = paths[file];
          throw e;
        }
      }
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  return NO_BYTES;
}

/** The file system block a hole is made of (4 KiB on ext4, xfs, btrfs and tmpfs). */
const BLOCK = 4096;
const ZERO_BLOCK = new Uint8Array(BLOCK);

/**
 * Writes `bytes` at `pos` of a new file, leaving every whole block of zeros unwritten: the file keeps a hole
 * there (restore sets each file's length at the end), so a sparse file comes back sparse. Data that is not zero
 * fails the compare at its first bytes, and runs of such blocks go out in one write.
 */
function writeSkippingZeros(fd: number, bytes: Uint8Array, pos: number): void {
  let start = 0; // the start of the run not yet written
  let at = 0;
  const write = (from: number, to: number) => {
    let n = from;
    while (n < to) n += writeSync(fd, bytes, n, to - n, pos + n);
  };
  while (at < bytes.length) {
    // the next block boundary of the file (the first piece may start inside a block)
    const end = Math.min(bytes.length, at + BLOCK - ((pos + at) % BLOCK));
    const whole = end - at === BLOCK;
    if (whole && Buffer.compare(bytes.subarray(at, end), ZERO_BLOCK) === 0) {
      if (start < at) write(start, at);
      start = end;
    }
    at = end;
  }
  if (start < bytes.length) write(start, bytes.length);
}

export { CHUNK_SIZE, SEALED_CHUNK_SIZE };
