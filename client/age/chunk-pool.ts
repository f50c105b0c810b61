// A small pool of worker threads (chunk-worker.js) that seal or open batches of age STREAM chunks, so one stream
// can use more than one core. Input and output live in a SharedArrayBuffer the stream owns; messages are small
// (transferring buffers, or allocating them on the way back, costs more than the copies it saves). Ordering is
// the caller's job (batch-transform.ts). Tasks wait in a queue until a worker has started. Workers are
// unref'd while idle, so an idle pool never keeps the process alive.

import { Worker } from 'node:worker_threads';

export interface ChunkTask {
  op: 'seal' | 'open';
  key: Uint8Array;
  counter: number;
  /** The stream's shared memory: `length` input bytes at `inAt`, room for the output at `outAt`. */
  sab: SharedArrayBuffer;
  inAt: number;
  outAt: number;
  outCapacity: number;
  length: number;
  final: boolean;
}

export interface ChunkResult {
  /** Output bytes written at `outAt` (sealing: ciphertext ‖ tag per chunk; opening: plaintexts). */
  length: number;
  error: string | undefined;
}

interface Slot {
  worker: Worker;
  busy: number;
  ready: boolean;
}

interface Pending {
  slot: Slot;
  resolve: (r: ChunkResult) => void;
  reject: (e: Error) => void;
}

interface Queued {
  task: ChunkTask;
  resolve: (r: ChunkResult) => void;
  reject: (e: Error) => void;
}

interface WorkerMessage {
  ready?: true;
  id?: number;
  length?: number;
  error?: string;
  fault?: string;
}

const WORKER_URL = new URL('./chunk-worker.js', import.meta.url);

export class ChunkPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly queue: Queued[] = [];
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('pool size must be a positive integer');
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    // Small heaps: a worker only holds a batch's crypto objects; a small young generation collects them often.
    const worker = new Worker(WORKER_URL, { resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 } });
    const slot: Slot = { worker, busy: 0, ready: false };
    worker.unref();
    worker.on('message', (m: WorkerMessage) => {
      if (m.ready) {
        slot.ready = true;
        this.drainQueue();
        return;
      }
      const p = this.pending.get(m.id!);
      if (p === undefined) return;
      this.pending.delete(m.id!);
      this.release(slot);
      if (m.fault !== undefined) p.reject(new Error(m.fault));
      else p.resolve({ length: m.length!, error: m.error });
      this.drainQueue();
    });
    const die = (e: Error): void => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(e);
      }
      if (this.slots.length === 0) for (const q of this.queue.splice(0)) q.reject(e);
      this.updateRefs();
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`chunk worker exited (${code})`)));
    this.slots.push(slot);
  }

  private release(slot: Slot): void {
    slot.busy--;
    this.updateRefs();
  }

  /** A worker keeps the process alive only while it has work or work is queued. */
  private updateRefs(): void {
    for (const s of this.slots) {
      if (s.busy > 0 || this.queue.length > 0) s.worker.ref();
      else s.worker.unref();
    }
  }

  private drainQueue(): void {
    while (this.queue.length > 0) {
      const slot = this.leastBusy();
      if (slot === undefined) return;
      const q = this.queue.shift()!;
      this.post(slot, q.task, q.resolve, q.reject);
    }
    this.updateRefs();
  }

  private leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.ready && (best === undefined || s.busy < best.busy)) best = s;
    return best;
  }

  private post(slot: Slot, task: ChunkTask, resolve: (r: ChunkResult) => void, reject: (e: Error) => void): void {
    const id = this.nextId++;
    this.pending.set(id, { slot, resolve, reject });
    slot.busy++;
    slot.worker.ref();
    slot.worker.postMessage({ id, ...task });
  }

  run(task: ChunkTask): Promise<ChunkResult> {
    if (this.closed) return Promise.reject(new Error('chunk pool closed'));
    if (this.slots.length < this.size) this.spawn(); // replaces a worker that died
    return new Promise<ChunkResult>((resolve, reject) => {
      const slot = this.queue.length === 0 ? this.leastBusy() : undefined;
      if (slot === undefined) {
        this.queue.push({ task, resolve, reject });
        this.updateRefs();
        return;
      }
      this.post(slot, task, resolve, reject);
    });
  }

  /** Stops every worker (tests and benchmarks; the shared pool otherwise lives as long as the process). */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}

let shared: ChunkPool | undefined;

/** The process-wide pool of `size` workers, started on first use. */
export function sharedChunkPool(size: number): ChunkPool {
  if (shared === undefined || shared.size !== size) {
    void shared?.close();
    shared = new ChunkPool(size);
  }
  return shared;
}
