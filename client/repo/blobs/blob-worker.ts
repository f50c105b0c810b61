// Worker thread of the blob pool (blob-pool.ts): runs one blob-ops.ts task per message (blob-messages.ts) and
// sends the result back with its big buffers transferred (the input buffer of a chunk or seal task goes back to
// its owner too). `sealPut` and `getOpen` also move the pack's bytes to or from storage themselves (storage/direct.ts): a
// pack is sealed into its PUT as it is sent, a range is received into this thread's reused buffer, so they never
// reach the main thread. client/worker-script.ts starts it: in the CLI bundle as a bundle of its own
// (scripts/build-cli.mjs), from source under tsx's loader registered in the worker.
// This module runs only as a worker's script, so `parentPort` is never null (`parentPort!` below).

import { parentPort, workerData } from 'node:worker_threads';
import { type ChunkTask, type SealTask, chunkSegments, openBlobs, sealObject } from './blob-ops.js';
import type { BlobReply, BlobReplyMessage, BlobTaskMessage, SlabGrant } from './blob-messages.js';
import { type ArenaScanner, arenaScanner } from './cut-points.js';
import { getDirect, putSealed } from '../storage/direct.js';
import { minorGc, tuneThisProcess } from '../../../runtime/gc.js';

// a pool made in a process of bkv's own (runtime/gc.ts tuneThisProcess) has its workers collect on demand too
if ((workerData as { tuned?: boolean } | null)?.tuned === true) tuneThisProcess();

/** Idle timeout of a direct transfer (as the store's). */
const DIRECT_TIMEOUT_MS = 60_000;

/** The ArrayBuffer of exactly `b`'s bytes: its own when `b` spans all of it, else a copy. */
function whole(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}

/**
 * This thread's receive buffers, kept and reused: a fresh one costs page faults, and one dropped after living
 * through the collections made while it filled would stay until a major GC. Big enough for any run of a direct read
 * (pack-reader.ts reads at most 4 MiB at once unless one blob is longer; a blob is at most 4 MiB), so in steady state none is allocated.
 */
const RECEIVE_BYTES = 4.25 * 1024 * 1024;
/** Direct reads running at once on this thread (the rest wait): one receiving while another is opened. */
const KEEP_RECEIVE = 2;
let receiving = 0;
const waiting: (() => void)[] = [];
const spare: ArrayBuffer[] = [];
function takeReceive(size: number): ArrayBuffer {
  const i = spare.findIndex((b) => b.byteLength >= size);
  return i < 0 ? new ArrayBuffer(Math.max(size, RECEIVE_BYTES)) : spare.splice(i, 1)[0]!;
}
function giveReceive(ab: ArrayBuffer): void {
  if (spare.length < KEEP_RECEIVE) spare.push(ab);
}

async function sealPut(m: Extract<BlobTaskMessage, { op: 'sealPut' }>): Promise<void> {
  const { task, back, buf } = own(m);
  const r = await putSealed(task.put, task, DIRECT_TIMEOUT_MS);
  if (r.ok) {
    parentPort!.postMessage({ id: m.id, result: { size: task.size, buf } } satisfies BlobReply<'sealPut'>, back);
    return;
  }
  // the main thread's store takes over with the same bytes (sealing is deterministic)
  const sealed = sealObject(task);
  // `as`: sealObject's buffer is an ArrayBuffer of its own or the task's `out`
  const file = sealed.byteOffset === 0 ? sealed.buffer as ArrayBuffer : whole(sealed);
  parentPort!.postMessage({ id: m.id, result: { size: sealed.byteLength, buf, file, miss: r.miss } } satisfies BlobReply<'sealPut'>, [...back, file]);
}

async function getOpen(m: Extract<BlobTaskMessage, { op: 'getOpen' }>): Promise<void> {
  while (receiving >= KEEP_RECEIVE) await new Promise<void>((r) => waiting.push(r));
  receiving++;
  try {
    await getOpenNow(m);
  } finally {
    receiving--;
    waiting.shift()?.();
  }
}

async function getOpenNow(m: Extract<BlobTaskMessage, { op: 'getOpen' }>): Promise<void> {
  const t = m.task;
  const into = Buffer.from(takeReceive(t.length));
  try {
    const r = await getDirect(t.get, t.offset, t.length, into, DIRECT_TIMEOUT_MS);
    if (!r.ok) {
      parentPort!.postMessage({ id: m.id, result: { miss: r.miss } } satisfies BlobReply<'getOpen'>);
      return;
    }
    const o = openBlobs({ ...t, buf: into.buffer, at: 0, inPlace: true });
    const plain = o.plain.length === 0 ? new ArrayBuffer(0) : whole(o.plain);
    parentPort!.postMessage({ id: m.id, result: { plain, at: o.at } } satisfies BlobReply<'getOpen'>, plain.byteLength > 0 ? [plain] : []);
  } finally {
    giveReceive(into.buffer);
  }
}

/**
 * The slabs (blob-pool.ts) this worker was sent, by id: {sab, base, inArena}, the shared buffer, where the slab
 * starts in it, and whether it is a slab of the pool's arena (chunked in place by `scanner`).
 */
const slabs: { sab: ArrayBufferLike; base: number; inArena: boolean }[] = [];
/** The chunker's scanner over the blob pool's arena, once the pool sent it. */
let scanner: ArenaScanner | undefined;

/**
 * The task with its slab resolved, and what to transfer back of it (its own buffer; a slab stays). The buffers
 * are typed as the pool sends them: a task's own `buf` is an ArrayBuffer (transferred), a slab's is shared.
 */
function own<T extends ChunkTask | SealTask>(m: SlabGrant & { task: T }): { task: T; back: ArrayBuffer[]; buf: ArrayBuffer | undefined } {
  if (m.arena !== undefined) scanner = arenaScanner(m.arena.memory, m.arena.gearAt);
  // `!`: the pool sends a slab's memory with a task that names that slab
  if (m.sab !== undefined) slabs[m.task.slab!] = { sab: m.sab, base: m.base ?? 0, inArena: m.inArena === true };
  if (m.task.slab === undefined) return { task: m.task, back: m.task.buf !== undefined ? [m.task.buf as ArrayBuffer] : [], buf: m.task.buf as ArrayBuffer | undefined };
  const { sab, base, inArena } = slabs[m.task.slab]!;
  return { task: { ...m.task, buf: sab as SharedArrayBuffer, base, ...(inArena && scanner !== undefined ? { scanner } : {}) }, back: [], buf: undefined };
}

type SystemError = NodeJS.ErrnoException;

/** An error back to the pool: its message, and for a system error (node:fs, node:net) its code, syscall and path. */
function fail(id: number, e: unknown): void {
  // `as`: node's system errors carry these fields; each is checked before it is used
  const system = e instanceof Error && typeof (e as SystemError).code === 'string' && typeof (e as SystemError).syscall === 'string'
    ? { code: (e as SystemError).code!, syscall: (e as SystemError).syscall!, ...(typeof (e as SystemError).path === 'string' ? { path: (e as SystemError).path! } : {}) } : undefined;
  parentPort!.postMessage({ id, error: e instanceof Error ? e.message : String(e), ...(system !== undefined ? { system } : {}) } satisfies BlobReplyMessage);
}

// A seal or open task leaves up to a pack of node:crypto output buffers behind as garbage: collected at once (runtime/gc.ts).
parentPort!.on('message', (m: BlobTaskMessage) => {
  if (m.op === 'sealPut' || m.op === 'getOpen') {
    (m.op === 'sealPut' ? sealPut(m) : getOpen(m)).catch((e) => fail(m.id, e)).finally(minorGc);
    return;
  }
  try {
    if (m.op === 'chunk') {
      const { task, back, buf } = own(m);
      const segments = chunkSegments(task);
      const transfer: ArrayBuffer[] = [...back];
      for (const s of segments) for (const c of s.chunks) if (c.z !== undefined) { c.z = new Uint8Array(whole(c.z)); transfer.push(c.z.buffer as ArrayBuffer); }
      // inPlace: the chunker hashed the slab where it is, in the arena (tests)
      parentPort!.postMessage({ id: m.id, result: { segments, buf, inPlace: task.scanner !== undefined } } satisfies BlobReply<'chunk'>, transfer);
    } else if (m.op === 'seal') {
      const { task, back, buf } = own(m);
      const sealed = sealObject(task);
      const file = sealed.byteOffset === 0 ? sealed.buffer as ArrayBuffer : whole(sealed);
      parentPort!.postMessage({ id: m.id, result: { file, size: sealed.byteLength, buf } } satisfies BlobReply<'seal'>, [file, ...back]);
    } else {
      const r = openBlobs(m.task);
      const plain = r.plain.length === 0 ? new ArrayBuffer(0) : whole(r.plain);
      // the sealed input goes back too, for its owner to reuse (fresh pages cost page faults)
      // `as`: an open task's buffer is its own (blob-pool.ts open transfers it)
      const transfer = plain.byteLength > 0 ? [plain, m.task.buf as ArrayBuffer] : [m.task.buf as ArrayBuffer];
      parentPort!.postMessage({ id: m.id, result: { plain, at: r.at, buf: m.task.buf as ArrayBuffer } } satisfies BlobReply<'open'>, transfer);
    }
  } catch (e) {
    fail(m.id, e);
  }
  if (m.op !== 'chunk') minorGc();
});
