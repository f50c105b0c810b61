// The engine shared by the encrypting and decrypting age streams: a Node Transform that cuts the payload into
// batches of 16 STREAM chunks and seals or opens each one (stream-chunks.js), pushing the output strictly in
// order. A batch is only dispatched once a byte after it has arrived, so the final chunk is always known.
//
// By default (and for short streams) everything runs on this thread: whole chunks are read straight from the
// caller's buffers and node:crypto's output buffers are pushed as they are. With `workers` set, past
// `inlineBytes` a stream gets a SharedArrayBuffer of 2 × workers + 1 slots: input is copied into a slot, a
// worker of the chunk pool writes the output into the same slot's output area, and this thread copies it out
// into one fresh buffer per chunk (the consumer owns what it is given). When no slot is free, input waits (the
// writer's callback is held) until one is: this thread never does a worker's batch itself, and it yields to the
// event loop, so results keep arriving even when the input is produced synchronously from memory.
//
// Memory stays flat: one pending batch, at most 2 × workers in flight, and the Transform's own backpressure on
// the output. On a failure, the authenticated plaintext already pushed is delivered first, then the stream is
// destroyed with the error; it never ends cleanly after one.

import { Transform, type TransformCallback } from 'node:stream';
import { type ChunkPool, sharedChunkPool } from './chunk-pool.js';
import { AgeError } from './errors.js';
import { CHUNK_SIZE, SEALED_CHUNK_SIZE, openChunks, sealChunks } from './stream-chunks.js';

export interface ParallelOptions {
  /** Worker threads for long streams; 0 keeps all work on this thread. Default: defaultWorkers(). */
  workers?: number;
  /** Payload bytes handled on this thread before a stream moves to the workers. Default 4 MiB. */
  inlineBytes?: number;
}

const BATCH_CHUNKS = 16;
const BATCH_BYTES = BATCH_CHUNKS * SEALED_CHUNK_SIZE;
const DEFAULT_INLINE_BYTES = 4 * 1024 * 1024;

/**
 * Worker threads a stream uses unless told: none. Measured on a 2-vCPU machine (docs/benchmarks.md), worker
 * threads never beat this thread alone (the copies in and out of shared memory and the extra threads cost as much
 * as the second core brings) and each costs 25–50 MiB; pass `workers` to try them on bigger machines.
 */
export function defaultWorkers(): number {
  return 0;
}

/** A finished batch: output buffers (this thread), or output bytes in a shared slot (a worker), or a fault. */
type Done = { outs: Uint8Array[]; error: string | undefined } | { slot: number; length: number; error: string | undefined } | { slot?: number; fault: Error };

export abstract class BatchTransform extends Transform {
  private readonly op: 'seal' | 'open';
  /** Input bytes per chunk: a plaintext chunk to seal, a sealed chunk to open. */
  private readonly unit: number;
  private readonly workers: number;
  private readonly inlineBytes: number;
  private key: Uint8Array | undefined;
  /** The pending batch: a private buffer, or the input area of `pendingSlot` once the workers are in use. */
  private batch: Buffer = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private batchLen = 0;
  private pool: ChunkPool | undefined;
  private sab: SharedArrayBuffer | undefined;
  private readonly freeSlots: number[] = [];
  private pendingSlot = -1;
  private counter = 0;
  private seqIn = 0;
  private seqOut = 0;
  private inflight = 0;
  private bytesIn = 0;
  private readonly results = new Map<number, Done>();
  /** Input not yet taken, and the writer's callback held until it is. */
  private input: Uint8Array | undefined;
  private inputOff = 0;
  private waiting: TransformCallback | undefined;
  private flushing: TransformCallback | undefined;
  private finalSent = false;
  private failure: Error | undefined;

  protected constructor(op: 'seal' | 'open', options: ParallelOptions) {
    super();
    this.op = op;
    this.unit = op === 'seal' ? CHUNK_SIZE : SEALED_CHUNK_SIZE;
    this.workers = options.workers ?? defaultWorkers();
    this.inlineBytes = options.inlineBytes ?? DEFAULT_INLINE_BYTES;
    if (!Number.isInteger(this.workers) || this.workers < 0) throw new RangeError('workers must be a non-negative integer');
    if (!Number.isSafeInteger(this.inlineBytes) || this.inlineBytes < 0) throw new RangeError('inlineBytes must be a non-negative integer');
  }

  /** Sets the 32-byte payload key; payload bytes may be fed from then on. */
  protected startPayload(key: Uint8Array): void {
    if (key.length !== 32) throw new RangeError('payload key must be 32 bytes');
    this.key = key;
  }

  private slotInput(slot: number): Buffer {
    return Buffer.from(this.sab!, slot * 2 * BATCH_BYTES, BATCH_BYTES);
  }

  /** Moves this stream to the workers: shared slots, the pending bytes copied into the first one. */
  private usePool(): void {
    this.pool = sharedChunkPool(this.workers);
    const slots = 2 * this.workers + 1;
    this.sab = new SharedArrayBuffer(slots * 2 * BATCH_BYTES);
    for (let i = slots - 1; i > 0; i--) this.freeSlots.push(i);
    this.pendingSlot = 0;
    const input = this.slotInput(0);
    this.batch.copy(input, 0, 0, this.batchLen);
    this.batch = input;
  }

  /** Takes payload bytes; calls `cb` once they are all taken (at once, or when a shared slot frees up). */
  protected feed(data: Uint8Array, cb: TransformCallback): void {
    this.input = data;
    this.inputOff = 0;
    this.waiting = cb;
    this.pump();
  }

  /** True when the pending batch can go now: on this thread always, to a worker when a slot is free. */
  private canDispatch(): boolean {
    return this.pool === undefined || (this.inflight < 2 * this.workers && this.freeSlots.length > 0);
  }

  /** Moves input into batches until it is all taken, or a batch must wait for a free slot. */
  private pump(): void {
    const full = BATCH_CHUNKS * this.unit;
    const data = this.input;
    while (data !== undefined && this.inputOff < data.length && this.failure === undefined) {
      if (this.batchLen === full) {
        if (!this.canDispatch()) return; // complete() pumps again
        this.dispatch(this.batch, full, false); // a byte follows: not the final batch
      }
      if (this.pool === undefined && this.workers > 0 && this.bytesIn >= this.inlineBytes) this.usePool();
      const off = this.inputOff;
      // On this thread, with nothing pending, whole chunks are read straight from the input (no copy); the last
      // one stays pending until a byte after it proves it is not the final chunk.
      const direct = this.pool === undefined && this.batchLen === 0 ? Math.min(BATCH_CHUNKS, Math.floor((data.length - off - 1) / this.unit)) : 0;
      const n = direct > 0 ? direct * this.unit : Math.min(full - this.batchLen, data.length - off);
      if (direct > 0) {
        this.dispatch(data.subarray(off, off + n), n, false);
      } else {
        this.batch.set(data.subarray(off, off + n), this.batchLen);
        this.batchLen += n;
      }
      this.inputOff += n;
      this.bytesIn += n;
    }
    if (this.failure !== undefined || this.waiting === undefined) return;
    this.input = undefined;
    const cb = this.waiting;
    this.waiting = undefined;
    cb();
  }

  /** Dispatches the final batch (once a slot is free); calls `cb` once every result has been pushed. */
  protected finish(cb: TransformCallback): void {
    this.flushing = cb;
    this.finishIfReady();
  }

  private finishIfReady(): void {
    if (this.flushing === undefined || this.failure !== undefined) return;
    if (!this.finalSent) {
      if (!this.canDispatch()) return; // complete() tries again
      this.finalSent = true;
      this.dispatch(this.batch, this.batchLen, true);
    }
    if (this.failure === undefined && this.flushing !== undefined && this.seqOut === this.seqIn) {
      const cb = this.flushing;
      this.flushing = undefined;
      cb();
    }
  }

  /** Seals or opens `length` bytes of `input` (the pending batch, or whole chunks of the caller's data). */
  private dispatch(input: Uint8Array, length: number, final: boolean): void {
    const key = this.key;
    if (key === undefined) throw new Error('payload key not set');
    const seq = this.seqIn++;
    const counter = this.counter;
    if (!final) this.counter += length / this.unit;
    if (input === this.batch) this.batchLen = 0;
    // A slot stays taken until its output is pushed, which may be after later batches finished; callers check
    // canDispatch() first.
    if (this.pool !== undefined) {
      const slot = this.pendingSlot;
      const next = this.freeSlots.pop();
      if (next === undefined) throw new Error('no free slot');
      this.pendingSlot = next;
      this.batch = this.slotInput(this.pendingSlot);
      this.inflight++;
      const inAt = slot * 2 * BATCH_BYTES;
      this.pool.run({ op: this.op, key, counter, sab: this.sab!, inAt, outAt: inAt + BATCH_BYTES, outCapacity: BATCH_BYTES, length, final }).then(
        (r) => this.complete(seq, { slot, ...r }, true),
        (e: unknown) => this.complete(seq, { slot, fault: e instanceof Error ? e : new Error(String(e)) }, true),
      );
      return;
    }
    // On this thread the input is only read, and done with once the call returns.
    const r = this.op === 'seal'
      ? { outs: sealChunks(key, counter, input, length, final), error: undefined }
      : openChunks(key, counter, input, length, final);
    this.complete(seq, r, false);
  }

  /** Pushes a worker's output: one fresh buffer per chunk, copied out of the shared slot, which is then free. */
  private pushSlot(slot: number, length: number): void {
    const piece = this.op === 'seal' ? SEALED_CHUNK_SIZE : CHUNK_SIZE;
    const outAt = slot * 2 * BATCH_BYTES + BATCH_BYTES;
    const shared = new Uint8Array(this.sab!, outAt, length);
    for (let o = 0; o < length; o += piece) {
      const part = shared.subarray(o, Math.min(length, o + piece));
      const out = Buffer.allocUnsafeSlow(part.length);
      out.set(part);
      this.push(out);
    }
  }

  private complete(seq: number, r: Done, pooled: boolean): void {
    if (pooled) this.inflight--;
    this.results.set(seq, r);
    while (this.results.has(this.seqOut)) {
      const next = this.results.get(this.seqOut)!;
      this.results.delete(this.seqOut++);
      if (this.failure === undefined && !this.destroyed) {
        if ('fault' in next) this.fail(next.fault);
        else {
          if ('outs' in next) for (const out of next.outs) if (out.length > 0) this.push(Buffer.from(out.buffer, out.byteOffset, out.length));
          if ('slot' in next) this.pushSlot(next.slot, next.length);
          if (next.error !== undefined) this.fail(new AgeError('payload', next.error));
        }
      }
      if ('slot' in next && next.slot !== undefined) this.freeSlots.push(next.slot);
    }
    // A worker's result may free the slot that waiting input or the final batch needs. (Results from this thread
    // arrive inside pump() and finishIfReady(), which carry on by themselves.)
    if (!pooled || this.failure !== undefined || this.destroyed) return;
    if (this.waiting !== undefined) this.pump();
    this.finishIfReady();
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
