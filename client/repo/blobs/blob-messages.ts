// The messages between the blob pool (blob-pool.ts) and its workers (blob-worker.ts), as types only: a task
// message per operation (a discriminated union on `op`), and the reply, a result or an error. Their fields are
// what crosses threads by structured clone, so their names are the wire between the two files; nothing here
// exists at run time.

import type { ChunkTask, OpenTask, SealTask, SegmentOut } from './blob-ops.js';
import type { WasmMemory } from './wasm-api.js';
import type { DirectRequest } from '../storage/store.js';

/** A seal whose age file the worker PUTs to `put` itself; `size` is the sealed size (the URL was signed for it). */
export interface SealPutTask extends SealTask {
  size: number;
  put: DirectRequest;
}

/** An open of the sealed bytes [offset, offset + length) of the object at `get`, which the worker GETs itself. */
export interface GetOpenTask extends Omit<OpenTask, 'buf' | 'at'> {
  get: DirectRequest;
  offset: number;
}

/**
 * Sent with a task the first time it names a slab the worker has not seen: the buffer the slab is in (`sab`) and
 * where the slab starts in it (`base`); `inArena` when that buffer is the pool's arena (arena.ts), and with the
 * worker's first such slab the arena's memory itself and the 1 KiB of it for its chunker's gear table.
 */
export interface SlabGrant {
  sab?: ArrayBufferLike;
  base?: number;
  inArena?: true;
  arena?: { memory: WasmMemory; gearAt: number };
}

/** A task for a worker: `op` names what to do with `task`; `id` pairs it with its reply. */
export type BlobTaskMessage = SlabGrant & (
  | { id: number; op: 'chunk'; task: ChunkTask }
  | { id: number; op: 'seal'; task: SealTask }
  | { id: number; op: 'open'; task: OpenTask }
  | { id: number; op: 'sealPut'; task: SealPutTask }
  | { id: number; op: 'getOpen'; task: GetOpenTask }
);

export type BlobOp = BlobTaskMessage['op'];

/** The task of operation `O`. */
export type BlobTaskOf<O extends BlobOp> = Extract<BlobTaskMessage, { op: O }>['task'];

// A task's own buffer (`buf`, never a slab's) is transferred to the worker and comes back in the result: an ArrayBuffer.

/** Chunks of each segment; the task's own buffer back (`buf`); `inPlace` when the slab was hashed in the arena. */
export interface ChunkResult {
  segments: SegmentOut[];
  buf?: ArrayBuffer;
  inPlace?: boolean;
}

/** The age file in the first `size` bytes of `file`, and the task's own buffer back. */
export interface SealResult {
  file: ArrayBuffer;
  size: number;
  buf?: ArrayBuffer;
}

/** The blobs' plaintext back to back and where each starts, and the sealed input back for reuse. */
export interface OpenResult {
  plain: ArrayBuffer;
  at: number[];
  buf: ArrayBuffer;
}

/** The PUT was made (`size`), or it missed (`miss`) and `file` holds the age file for the main thread to store. */
export interface SealPutResult {
  size: number;
  buf?: ArrayBuffer;
  file?: ArrayBuffer;
  miss?: string;
}

/** The blobs of the range got, or why the one GET did not bring exactly the range. */
export type GetOpenResult = { plain: ArrayBuffer; at: number[] } | { miss: string };

/** Each operation's result. */
export interface BlobResults {
  chunk: ChunkResult;
  seal: SealResult;
  open: OpenResult;
  sealPut: SealPutResult;
  getOpen: GetOpenResult;
}

/** What node:fs or node:net said of a system error, kept across the thread (a restore names the file). */
export interface SystemErrorFields {
  code: string;
  syscall: string;
  path?: string;
}

/** The reply to a task of operation `O` that succeeded. */
export interface BlobReply<O extends BlobOp> {
  id: number;
  result: BlobResults[O];
}

/** A worker's reply to task `id`: its result, or the error's message (and a system error's fields). */
export type BlobReplyMessage =
  | { id: number; result: BlobResults[BlobOp]; error?: undefined }
  | { id: number; error: string; system?: SystemErrorFields; result?: undefined };
