// The engine shared by the encrypting and decrypting age streams: a Node Transform that cuts the payload into
// batches of 16 STREAM chunks, seals or opens each batch (stream-chunks.js) on this thread or in the chunk pool,
// and pushes the buffers node:crypto made strictly in order. Batch buffers are reused, so the only garbage is
// the output the consumer was given. A batch is only dispatched once a byte after it has
// arrived, so the final chunk is always known. Memory stays flat: at most `2 × workers` batches are in flight,
// and the writer's callback is held until one completes. On a failure the authenticated plaintext already
// pushed is delivered first, then the stream is destroyed with the error; it never ends cleanly after one.

import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import { type ChunkPool, type ChunkResult, sharedChunkPool } from './chunk-pool.js';
import { AgeError } from './errors.js';
import { CHUNK_SIZE, SEALED_CHUNK_SIZE, openChunks, sealChunks } from './stream-chunks.js';

export interface ParallelOptions {
  /** Worker threads for long streams; 0 keeps all work on this thread. Default: up to 4, if there is more than one core. */
  workers?: number;
  /** Payload bytes handled on this thread before a stream moves to the workers. Default 4 MiB. */
  inlineBytes?: number;
}

const BATCH_CHUNKS = 16;
const BATCH_BYTES = BATCH_CHUNKS * SEALED_CHUNK_SIZE;
const DEFAULT_INLINE_BYTES = 4 * 1024 * 1024;

export function defaultWorkers(): number {
  const cores = availableParallelism();
  return cores > 1 ? Math.min(4, cores) : 0;
}

export abstract class BatchTransform extends Transform {
  private readonly op: 'seal' | 'open';
  /** Input bytes per chunk: a plaintext chunk to seal, a sealed chunk to open. */
  private readonly unit: number;
  private readonly workers: number;
  private readonly inlineBytes: number;
  private key: Uint8Array | undefined;
  private batch: Buffer = Buffer.allocUnsafeSlow(BATCH_BYTES);
  private batchLen = 0;
  /** Batch buffers back from the workers, for reuse. */
  private readonly spare: Buffer[] = [];
  private counter = 0;
  private seqIn = 0;
  private seqOut = 0;
  private inflight = 0;
  private bytesIn = 0;
  private readonly results = new Map<number, ChunkResult | Error>();
  private pool: ChunkPool | undefined;
  private waiting: TransformCallback | undefined;
  private flushing: TransformCallback | undefined;
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

  /** Takes payload bytes; calls `cb` now, or once fewer batches are in flight. */
  protected feed(data: Uint8Array, cb: TransformCallback): void {
    const full = BATCH_CHUNKS * this.unit;
    let off = 0;
    while (off < data.length && this.failure === undefined) {
      if (this.batchLen === full) this.dispatch(false);
      // Chunk i of the batch sits at i × SEALED_CHUNK_SIZE (see stream-chunks.js).
      const inChunk = this.batchLen % this.unit;
      const at = (this.batchLen - inChunk) / this.unit * SEALED_CHUNK_SIZE + inChunk;
      const n = Math.min(this.unit - inChunk, data.length - off);
      this.batch.set(data.subarray(off, off + n), at);
      this.batchLen += n;
      off += n;
      this.bytesIn += n;
    }
    if (this.failure !== undefined) return;
    if (this.inflight >= 2 * this.workers && this.inflight > 0) this.waiting = cb;
    else cb();
  }

  /** Dispatches the final batch; calls `cb` once every result has been pushed (never after a failure). */
  protected finish(cb: TransformCallback): void {
    this.dispatch(true);
    if (this.failure === undefined) {
      if (this.seqOut === this.seqIn) cb();
      else this.flushing = cb;
    }
  }

  private dispatch(final: boolean): void {
    const key = this.key;
    if (key === undefined) throw new Error('payload key not set');
    const seq = this.seqIn++;
    const counter = this.counter;
    const batch = this.batch;
    const length = this.batchLen;
    if (!final) this.counter += length / this.unit;
    this.batchLen = 0;
    if (this.pool === undefined && this.workers > 0 && this.bytesIn - length >= this.inlineBytes) {
      this.pool = sharedChunkPool(this.workers);
    }
    if (this.pool !== undefined) {
      // The batch moves to a worker; the next one is a spare or a new buffer.
      this.batch = final ? Buffer.alloc(0) : (this.spare.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES));
      this.inflight++;
      this.pool.run({ op: this.op, key, counter, batch, length, final }).then(
        (r) => this.complete(seq, r, true),
        (e: unknown) => this.complete(seq, e instanceof Error ? e : new Error(String(e)), true),
      );
      return;
    }
    // On this thread the batch is done with once the call returns, and stays in use.
    const r: ChunkResult = this.op === 'seal'
      ? { batch, outs: sealChunks(key, counter, batch, length, final), error: undefined }
      : { batch, ...openChunks(key, counter, batch, length, final) };
    this.complete(seq, r, false);
  }

  private complete(seq: number, r: ChunkResult | Error, pooled: boolean): void {
    if (pooled) this.inflight--;
    this.results.set(seq, r);
    while (this.results.has(this.seqOut)) {
      const next = this.results.get(this.seqOut)!;
      this.results.delete(this.seqOut++);
      if (this.failure !== undefined || this.destroyed) continue;
      if (next instanceof Error) {
        this.fail(next);
        continue;
      }
      if (pooled && next.batch.length === BATCH_BYTES && this.spare.length < 2 * this.workers) {
        this.spare.push(Buffer.from(next.batch.buffer, next.batch.byteOffset, next.batch.length));
      }
      for (const out of next.outs) {
        if (out.length > 0) this.push(Buffer.from(out.buffer, out.byteOffset, out.length));
      }
      if (next.error !== undefined) this.fail(new AgeError('payload', next.error));
    }
    if (this.failure !== undefined || this.destroyed) return;
    if (this.waiting !== undefined && this.inflight < 2 * this.workers) {
      const cb = this.waiting;
      this.waiting = undefined;
      cb();
    }
    if (this.flushing !== undefined && this.seqOut === this.seqIn) {
      const cb = this.flushing;
      this.flushing = undefined;
      cb();
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
