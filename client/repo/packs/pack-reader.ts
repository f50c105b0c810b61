// Ranged reads of packs (docs/repository.md "Packs", "Ranged reads"): fetch the age header (and check its
// SHA-256 against the index's `h`, which makes every chunk decrypted under it authentic), then only the 64 KiB
// STREAM chunks that cover the blobs wanted, coalesced into runs, and open them on a blob worker. A pack most of
// whose bytes are wanted is fetched whole. Tree packs are fetched whole and kept in the local cache (encrypted).

import { createHash } from 'node:crypto';
import { CHUNK_SIZE, SEALED_CHUNK_SIZE, openHeader } from '../../age/object-parts.js';
import { MAX_HEADER_BYTES } from '../../age/index.js';
import type { BlobEntry, PackEntry } from './index.js';
import { damaged } from '../objects.js';
import { parallel } from '../parallel.js';
import type { PackSource } from '../ports.js';
import { isDirectStore, RepoObjectMissing, type CallOptions } from '../storage/store.js';
import { fileSystemError, isClientError, isSystemError } from '../../errors.js';
import { isBkvError } from '../../../protocol/errors.js';

/** Runs of chunks closer than this are fetched as one. */
const GAP_CHUNKS = 16;
/**
 * A direct read (storage → blob worker) covers at most this many chunks (4 MiB) unless one blob is longer:
 * little memory per read, and reads of one pack in parallel. A chunk shared by two reads is read twice.
 */
const DIRECT_RUN_CHUNKS = 64;
/**
 * A run (one blob worker task) holds at most this many blobs: a pack of small files can hold 100k, and a task's
 * list of writes, with its copy on the worker, grows with them. Runs of one pack go at most RUNS_AT_ONCE at a time.
 */
const RUN_BLOBS = 2048;
const RUNS_AT_ONCE = 4;
/**
 * A run's blobs inflate to at most this many bytes together (unless one blob alone is larger): a task's output is
 * one buffer of their plaintext, and a pack of small deflated blobs could otherwise claim gigabytes of it.
 */
const RUN_PLAIN_BYTES = 64 * 1024 * 1024;
/** Bytes of the first read: an X25519 header is ~200 bytes. */
const HEADER_PROBE = 1024;
const NO_BYTES = new Uint8Array(0);

function ownBuffer(b: Uint8Array): { buf: ArrayBuffer; at: number } {
  if (b.buffer instanceof ArrayBuffer && b.byteLength === b.buffer.byteLength) return { buf: b.buffer, at: 0 };
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return { buf: copy.buffer, at: 0 };
}

async function fetchWhole(src: PackSource, pack: PackEntry, options: CallOptions): Promise<Uint8Array> {
  const name = { type: 'data' as const, id: pack.id };
  const cached = pack.t === 'tree' ? src.cache?.get(name) : undefined;
  if (cached !== undefined && cached.length === pack.size) return cached;
  const body = await src.store.get(name, undefined, options);
  if (body.length !== pack.size) throw damaged(`pack ${pack.id} has ${body.length} bytes, the index says ${pack.size}`);
  if (pack.t === 'tree') src.cache?.put(name, body);
  return body;
}

function checkHeader(src: PackSource, pack: PackEntry, bytes: Uint8Array) {
  let opened;
  try {
    opened = openHeader(bytes, src.keys.identity);
  } catch (e) {
    throw damaged(`pack ${pack.id} header does not open`, e);
  }
  if (opened === undefined) return undefined;
  if (createHash('sha256').update(opened.header).digest('hex') !== pack.h) throw damaged(`pack ${pack.id} is not the pack the index names (header hash)`);
  return opened;
}

/**
 * Reads `blobs` (entries of `pack`) and calls `each(blob, plaintext)` for every one, in pack order. The
 * plaintext view is valid only during the call. With `verify`, each blob's HMAC id is checked.
 */
export async function readBlobs(
  src: PackSource, pack: PackEntry, blobs: readonly BlobEntry[], each: (blob: BlobEntry, plain: Uint8Array) => void | Promise<void>,
  options: CallOptions & {
    verify?: boolean; whole?: boolean; tail?: number;
    /** Restore: where each blob goes ([path, offset] each, files that exist); written on the blob worker, `each` then gets no bytes. */
    writeTo?: (blob: BlobEntry) => [string, number][];
  } = {},
): Promise<void> {
  if (blobs.length === 0 && options.tail === undefined) return;
  const sorted = [...blobs].sort((a, b) => a.o - b.o);
  let wanted = 0;
  for (const b of sorted) wanted += b.l;
  const whole = options.whole === true || pack.t === 'tree' || wanted * 2 > pack.size;
  // a data pack's runs go straight from storage to a blob worker when the store has URLs: the header alone comes here
  const direct = pack.t === 'data' && src.pool.threaded && isDirectStore(src.store) ? src.store : undefined;
  let file: Uint8Array | undefined;
  let head: Uint8Array;
  if (whole && direct === undefined) {
    file = await fetchWhole(src, pack, options);
    head = file;
  } else {
    head = await src.store.get({ type: 'data', id: pack.id }, { offset: 0, length: Math.min(pack.size, HEADER_PROBE) }, options);
  }
  let opened = checkHeader(src, pack, head);
  if (opened === undefined && file === undefined) {
    head = await src.store.get({ type: 'data', id: pack.id }, { offset: 0, length: Math.min(pack.size, MAX_HEADER_BYTES + 16) }, options);
    opened = checkHeader(src, pack, head);
  }
  if (opened === undefined) throw damaged(`pack ${pack.id} has no complete header`);
  const payloadBytes = pack.size - opened.payloadStart;
  const chunks = Math.max(1, Math.ceil(payloadBytes / SEALED_CHUNK_SIZE));
  if (options.tail !== undefined) {
    // the last `tail` plaintext bytes (the trailer), as one pseudo-blob
    const plainLength = payloadBytes - chunks * (SEALED_CHUNK_SIZE - CHUNK_SIZE);
    const n = Math.min(options.tail, Math.max(0, plainLength));
    sorted.splice(0, sorted.length, { id: 'tail', o: plainLength - n, l: n, u: n, z: 0 });
  }
  // Runs of chunks: [first, last] with the blobs they cover.
  const runs: { first: number; last: number; blobs: BlobEntry[]; plain: number }[] = [];
  for (const b of sorted) {
    const first = Math.floor(b.o / CHUNK_SIZE);
    const last = Math.floor((b.o + Math.max(b.l, 1) - 1) / CHUNK_SIZE);
    if (last >= chunks) throw damaged(`blob ${b.id} lies beyond pack ${pack.id}`);
    const run = runs[runs.length - 1];
    if (run !== undefined && run.blobs.length < RUN_BLOBS && run.plain + b.u <= RUN_PLAIN_BYTES && (whole || first <= run.last + GAP_CHUNKS)
      && (direct === undefined || last - run.first < DIRECT_RUN_CHUNKS)) {
      run.last = Math.max(run.last, last);
      run.blobs.push(b);
      run.plain += b.u;
    } else {
      runs.push({ first, last, blobs: [b], plain: b.u });
    }
  }
  const name = { type: 'data' as const, id: pack.id };
  await parallel(runs, RUNS_AT_ONCE, async (run) => {
    const start = opened.payloadStart + run.first * SEALED_CHUNK_SIZE;
    const end = Math.min(pack.size, opened.payloadStart + (run.last + 1) * SEALED_CHUNK_SIZE);
    const final = run.last === chunks - 1;
    const base = run.first * CHUNK_SIZE;
    let writes: { paths: string[]; to: [number, number][][] } | undefined;
    if (options.writeTo !== undefined) {
      const paths: string[] = [];
      const index = new Map<string, number>();
      const to = run.blobs.map((b) => options.writeTo!(b).map(([path, offset]): [number, number] => {
        let i = index.get(path);
        if (i === undefined) index.set(path, (i = paths.push(path) - 1));
        return [i, offset];
      }));
      writes = { paths, to };
    }
    const task = {
      payloadKey: opened.payloadKey, counter: run.first, final, length: end - start,
      blobs: run.blobs.map((b): [number, number, number, number] => [b.o - base, b.l, b.z, b.u]),
      ...(options.verify ? { verify: run.blobs.map((b) => b.id), hmacKey: src.keys.blobIdKey } : {}),
      ...(writes !== undefined ? { writes } : {}),
    };
    let result: { plain: ArrayBuffer; at: number[] } | { miss: string } = { miss: 'no direct transfer' };
    try {
      if (direct !== undefined) result = await src.pool.getOpen({ ...task, get: await direct.downloadRequest(name, options), offset: start });
      if ('miss' in result) {
        let sealed: Uint8Array;
        if (file !== undefined) {
          sealed = file.subarray(start, end);
        } else {
          sealed = await src.store.get(name, { offset: start, length: end - start }, options);
          if (sealed.length !== end - start) throw damaged(`pack ${pack.id} is shorter than the index says`);
        }
        // A whole pack in its own memory is handed over as it is (one run); anything else is copied out.
        // (a body the store answered is ours: the whole buffer can go to the worker even when the body is a view of it)
        const own = file !== undefined && runs.length === 1 && file.buffer instanceof ArrayBuffer && (pack.t !== 'tree' || file.byteOffset === 0 && file.byteLength === file.buffer.byteLength)
          ? { buf: file.buffer, at: file.byteOffset + start } : ownBuffer(sealed);
        // a tree pack (well under a MiB, and what an unchanged backup reads) is opened here: starting the
        // workers for it would cost more than the whole open
        const r = await src.pool.open({ ...task, buf: own.buf, at: own.at }, pack.t === 'tree');
        if (pack.t !== 'tree' && r.buf.byteLength >= 1024 * 1024) src.store.recycle?.(r.buf);
        result = r;
      }
    } catch (e) {
      if (options.signal?.aborted) throw options.signal.reason; // a worker still writing into a removed staging directory fails: that is the abort
      if (isClientError(e) || isBkvError(e) || e instanceof RepoObjectMissing) throw e;
      // writing the restored files failed (a full disk, a file limit): this device's trouble, not the repository's
      if (writes !== undefined && isSystemError(e) && typeof e.path === 'string') throw fileSystemError(e, 'write', e.path);
      throw damaged(`pack ${pack.id}: ${e instanceof Error ? e.message : String(e)}`, e);
    }
    if (writes !== undefined) {
      for (const b of run.blobs) await each(b, NO_BYTES);
      return;
    }
    const plain = new Uint8Array((result as { plain: ArrayBuffer }).plain);
    for (let i = 0; i < run.blobs.length; i++) {
      const b = run.blobs[i]!;
      const at0 = result.at[i]!;
      await each(b, plain.subarray(at0, at0 + b.u));
    }
  });
}
