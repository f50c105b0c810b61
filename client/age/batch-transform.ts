// The engine shared by the encrypting and decrypting age streams: a Node Transform that cuts the payload into
// batches of 16 STREAM chunks and seals or opens each one (stream-chunks.ts), pushing the output strictly in
// order. A batch is only dispatched once a byte after it has arrived, so the final chunk is always known.
//
// Short streams (and `workers: 0`) run on this thread only: whole chunks are read straight from the caller's
// buffers and node:crypto's output buffers are pushed as they are. Past `inlineBytes`, this thread shares the
// work with the chunk pool's workers: while a worker has room (chunk-pool.ts), the next batch is assembled in
// a slot of the stream's SharedArrayBuffer and handed to it; otherwise this thread does the batch itself.
// Between batches it drains finished worker results synchronously (ChunkPool.poll), so a stream fed
// synchronously from memory neither starves the workers nor waits for the event loop. A worker's output
// buffers arrive transferred, not copied. On two cores this keeps both busy: the worker takes every batch it
// has room for and this thread fills the gaps with short batches of its own. If a worker dies with a batch, its
// input is still in the slot and this thread does it instead. Every long stream first hints the allocator
// (allocator-hint.ts).
//
// Memory stays flat: one pending batch, tasksPerWorker × workers + 1 shared slots, at most `maxAhead` chunks
// dispatched but not yet pushed, and the Transform's own backpressure on the output. On a failure, the
// authenticated plaintext already pushed is delivered first, then the stream is destroyed with the error; it
// never ends cleanly after one.

import { type KeyObject, createSecretKey } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { hintAllocatorOnce } from './allocator-hint.js';
import { type ChunkPool, type ChunkResult, type ChunkTask, sharedChunkPool, tasksPerWorker } from './chunk-pool.js';
import { AgeError } from './errors.js';
import { CHUNK_SIZE, SEALED_CHUNK_SIZE, openChunks, sealChunks } from './stream-chunks.js';

export interface ParallelOptions {
  /** Worker threads sharing a long stream's work with this thread; 0 keeps it all here. Default: defaultWorkers(). */
  workers?: number;
  /** Payload bytes handled on this thread alone before the workers join in. Default 4 MiB. */
  inlineBytes?: number;
}

/** Chunks per batch: a worker's task, or this thread's batch when it works alone. */
const BATCH_CHUNKS = 16;
/** Chunks per batch this thread does itself while workers help: short, so it hands them new work often. */
const SHARED_LOCAL_CHUNKS = 4;
const BATCH_BYTES = BATCH_CHUNKS * SEALED_CHUNK_SIZE;
const DEFAULT_INLINE_BYTES = 4 * 1024 * 1024;
/** Bound on the chunks dispatched but not yet pushed (64 KiB each). */
const MAX_AHEAD_CHUNKS = 192;
const MAX_DEFAULT_WORKERS = 3;

/**
 * Worker threads a long stream uses unless told: one fewer than the cores, at most 3, none on one core. This
 * thread always does a share of the batches itself (docs/benchmarks.md has the measurements).
 */
export function defaultWorkers(): number {
  return Math.max(0, Math.min(MAX_DEFAULT_WORKERS, availableParallelism() - 1));
}

export abstract class BatchTransform extends Transform {
  /**
   * Batches sealed or opened on this thread and on the workers, and of those, batches a worker died with and
   * this thread redid (tests and benchmarks read it).
   */
  readonly batches = { here: 0, workers: 0, redone: 0 };
  private readonly op: 'seal' | 'open';
  /** Input bytes per chunk: a plaintext chunk to seal, a sealed chunk to open. */
  private readonly unit: number;
  private readonly workers: number;
  private readonly inlineBytes: number;
  /** Chunks dispatched but not yet pushed, beyond which no more input is taken until results arrive. */
  private readonly maxAhead: number;
  private key: Uint8Array | undefined;
  /** The same key as a KeyObject, for the batches done on this thread. */
  private keyObject: KeyObject | undefined;
  /** Where a batch done on this thread is assembled. */
  private readonly local: Buffer = Buffer.allocUnsafeSlow(BATCH_BYTES);
  /** The pending batch: `local`, or the input area of shared slot `batchSlot` when a worker is to take it. */
  private batch: Uint8Array = this.local;
  private batchSlot = -1;
  private batchLen = 0;
  /** Chunks the pending batch holds when full. */
  private batchChunks = BATCH_CHUNKS;
  private pool: ChunkPool | undefined;
  private sab: SharedArrayBuffer | undefined;
  private readonly freeSlots: number[] = [];
  private counter = 0;
  private seqIn = 0;
  private seqOut = 0;
  private bytesIn = 0;
  /** Set once `inlineBytes` of payload went through. */
  private long = false;
  private readonly results = new Map<number, ChunkResult>();
  /** Chunks in each batch not yet pushed, by sequence number; and chunks pushed so far. */
  private readonly sizes = new Map<number, number>();
  private pushedChunks = 0;
  /** Input not yet taken, and the writer's callback held until it is. */
  private input: Uint8Array | undefined;
  private inputOff = 0;
  private waiting: TransformCallback | undefined;
  private flushing: TransformCallback | undefined;
  private finalSent = false;
  private failure: Error | undefined;
  /** Set while pump() runs, so a result delivered from inside it does not start another. */
  private pumping = false;

  protected constructor(op: 'seal' | 'open', options: ParallelOptions) {
    super();
    this.op = op;
    this.unit = op === 'seal' ? CHUNK_SIZE : SEALED_CHUNK_SIZE;
    this.workers = options.workers ?? defaultWorkers();
    this.inlineBytes = options.inlineBytes ?? DEFAULT_INLINE_BYTES;
    if (!Number.isInteger(this.workers) || this.workers < 0) throw new RangeError('workers must be a non-negative integer');
    if (!Number.isSafeInteger(this.inlineBytes) || this.inlineBytes < 0) throw new RangeError('inlineBytes must be a non-negative integer');
    // Room for the workers' queued batches and two batches' worth more done here behind them, at most 12 MiB.
    this.maxAhead = Math.min(MAX_AHEAD_CHUNKS, (tasksPerWorker(this.workers) * this.workers + 2) * BATCH_CHUNKS);
  }

  /** Sets the 32-byte payload key; payload bytes may be fed from then on. */
  protected startPayload(key: Uint8Array): void {
    if (key.length !== 32) throw new RangeError('payload key must be 32 bytes');
    this.key = key;
    this.keyObject = createSecretKey(key);
  }

  /** Takes payload bytes; calls `cb` once they are all taken (at once, or after results made room). */
  protected feed(data: Uint8Array, cb: TransformCallback): void {
    this.input = data;
    this.inputOff = 0;
    this.waiting = cb;
    this.pump();
  }

  /** Dispatches the final batch; calls `cb` once every result has been pushed. */
  protected finish(cb: TransformCallback): void {
    this.flushing = cb;
    this.finishIfReady();
  }

  /** Moves input into batches until it is all taken, or too many batches wait for a worker's result. */
  private pump(): void {
    const data = this.input;
    this.pumping = true;
    while (data !== undefined && this.inputOff < data.length && this.failure === undefined) {
      this.pool?.poll();
      if (this.counter - this.pushedChunks >= this.maxAhead) break; // a result arriving calls pump() again
      // A byte follows, so the pending batch is not the final one. A full batch goes; so does a batch for this
      // thread as soon as it holds whole chunks, so that the rest of this input is read in place.
      const whole = this.batchLen > 0 && this.batchLen % this.unit === 0;
      if (this.batchLen === this.batchChunks * this.unit || (whole && this.batchSlot < 0)) this.dispatch(false);
      if (this.failure !== undefined) break;
      if (!this.long && this.bytesIn >= this.inlineBytes) this.goLong();
      if (this.batchLen === 0) this.chooseBatch();
      const off = this.inputOff;
      // A batch for this thread, with nothing pending, reads whole chunks straight from the input (no copy); the
      // last one stays pending until a byte after it proves it is not the final chunk. Otherwise input is copied
      // into the pending batch: up to the end of its chunk on this thread, up to a full batch for a worker.
      const direct = this.batchLen === 0 && this.batchSlot < 0 ? Math.min(this.batchChunks, Math.floor((data.length - off - 1) / this.unit)) : 0;
      const room = this.batchSlot < 0 ? this.unit - (this.batchLen % this.unit) : this.batchChunks * this.unit - this.batchLen;
      const n = direct > 0 ? direct * this.unit : Math.min(room, data.length - off);
      if (direct > 0) {
        this.runHere(data.subarray(off, off + n), false);
      } else {
        this.batch.set(data.subarray(off, off + n), this.batchLen);
        this.batchLen += n;
      }
      this.inputOff += n;
      this.bytesIn += n;
    }
    this.pumping = false;
    if (this.failure !== undefined || this.waiting === undefined || data === undefined || this.inputOff < data.length) return;
    this.input = undefined;
    const cb = this.waiting;
    this.waiting = undefined;
    cb();
  }

  private finishIfReady(): void {
    if (this.flushing === undefined || this.failure !== undefined) return;
    if (!this.finalSent) {
      this.finalSent = true;
      this.dispatch(true);
    }
    if (this.failure === undefined && this.flushing !== undefined && this.seqOut === this.seqIn) {
      const cb = this.flushing;
      this.flushing = undefined;
      cb();
    }
  }

  /** Past `inlineBytes`: hints the allocator, and with workers, gives this stream its shared slots. */
  private goLong(): void {
    this.long = true;
    hintAllocatorOnce();
    if (this.workers > 0) this.usePool();
  }

  /** From now on a worker with room gets the next batch. */
  private usePool(): void {
    this.pool = sharedChunkPool(this.workers);
    const slots = tasksPerWorker(this.workers) * this.workers + 1;
    this.sab = new SharedArrayBuffer(slots * BATCH_BYTES);
    for (let i = slots - 1; i >= 0; i--) this.freeSlots.push(i);
  }

  /** Picks where the next batch is assembled: a free shared slot if a worker has room for it, else `local`. */
  private chooseBatch(): void {
    const slot = this.pool !== undefined && this.pool.hasRoom() ? this.freeSlots.pop() : undefined;
    this.batchSlot = slot ?? -1;
    this.batch = slot === undefined ? this.local : new Uint8Array(this.sab!, slot * BATCH_BYTES, BATCH_BYTES);
    this.batchChunks = slot === undefined && this.pool !== undefined ? SHARED_LOCAL_CHUNKS : BATCH_CHUNKS;
  }

  /** Hands the pending batch to a worker if it was assembled for one and a worker still has room; else does it here. */
  private dispatch(final: boolean): void {
    const { batch, batchLen: length, batchSlot: slot } = this;
    this.batch = this.local;
    this.batchSlot = -1;
    this.batchLen = 0;
    if (slot >= 0 && !final) {
      const seq = this.seqIn;
      const task: ChunkTask = { op: this.op, key: this.payloadKey(), counter: this.counter, sab: this.sab!, at: slot * BATCH_BYTES, length, final };
      if (this.pool!.tryRun(task, (r) => this.deliver(seq, slot, 'fault' in r ? this.redo(task, r.fault) : r))) {
        this.sizes.set(seq, length / this.unit);
        this.seqIn++;
        this.counter += length / this.unit;
        this.batches.workers++;
        return;
      }
    }
    this.runHere(batch.subarray(0, length), final);
    if (slot >= 0) this.freeSlots.push(slot);
  }

  private payloadKey(): Uint8Array {
    if (this.key === undefined) throw new Error('payload key not set');
    return this.key;
  }

  /** Seals or opens `input` on this thread (it is only read, and done with once this returns). */
  private runHere(input: Uint8Array, final: boolean): void {
    const seq = this.seqIn++;
    const counter = this.counter;
    if (!final) this.counter += input.length / this.unit;
    this.sizes.set(seq, final ? 0 : input.length / this.unit);
    this.batches.here++;
    this.results.set(seq, this.compute(counter, input, final));
    this.drain();
  }

  private compute(counter: number, input: Uint8Array, final: boolean): ChunkResult {
    const key = this.keyObject;
    if (key === undefined) throw new Error('payload key not set');
    return this.op === 'seal'
      ? { outs: sealChunks(key, counter, input, input.length, final), error: undefined }
      : openChunks(key, counter, input, input.length, final);
  }

  /** A worker died with the batch: its input is still in the slot, so it is done here instead. */
  private redo(task: ChunkTask, fault: Error): ChunkResult {
    try {
      this.batches.redone++;
      return this.compute(task.counter, new Uint8Array(task.sab, task.at, task.length), task.final);
    } catch (e) {
      return { fault: e instanceof Error ? e : fault };
    }
  }

  /** A worker's result: its slot is free again; push what is now in order, and carry on if input waited. */
  private deliver(seq: number, slot: number, r: ChunkResult): void {
    this.freeSlots.push(slot);
    this.results.set(seq, r);
    this.drain();
    if (this.pumping || this.destroyed) return;
    if (this.waiting !== undefined) this.pump();
    this.finishIfReady();
  }

  /** Pushes finished batches in stream order; the first error stops the stream. */
  private drain(): void {
    while (this.results.has(this.seqOut)) {
      const next = this.results.get(this.seqOut)!;
      this.results.delete(this.seqOut);
      this.pushedChunks += this.sizes.get(this.seqOut)!;
      this.sizes.delete(this.seqOut++);
      if (this.failure !== undefined || this.destroyed) continue;
      if ('fault' in next) {
        this.fail(next.fault);
        continue;
      }
      for (const out of next.outs) if (out.length > 0) this.push(out);
      if (next.error !== undefined) this.fail(new AgeError('payload', next.error));
    }
  }

  /** Records the failure; the stream is destroyed with it once the plaintext already pushed has been read. */
  private fail(e: Error): void {
    this.failure = e;
    this.waiting = undefined;
    this.flushing = undefined;
    this.settleFailure();
  }

  private settleFailure(): void {
    if (this.readableLength === 0) this.destroy(this.failure);
    // An empty push clears the readable's "reading" state, so the consumer's next read reaches _read again.
    else this.push(Buffer.alloc(0));
  }

  override _read(size: number): void {
    if (this.failure !== undefined) this.settleFailure();
    else super._read(size);
  }
}
