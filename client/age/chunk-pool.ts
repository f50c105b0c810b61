// A small pool of worker threads (chunk-worker.js) that seal or open batches of age STREAM chunks, so one
// stream can use more than one core. Results come back as transferred ArrayBuffers; ordering is the caller's
// job (batch-transform.ts). Workers are unref'd while idle, so an idle pool never keeps the process alive.

import { Worker } from 'node:worker_threads';

export interface ChunkTask {
  op: 'seal' | 'open';
  key: Uint8Array;
  counter: number;
  /** Moved to the worker: `data.buffer` must be owned by this batch alone (it is detached). */
  data: Uint8Array;
  final: boolean;
}

export interface ChunkResult {
  out: Uint8Array;
  chunks: number;
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

const WORKER_URL = new URL('./chunk-worker.js', import.meta.url);

export class ChunkPool {
  private readonly slots: Slot[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('pool size must be a positive integer');
    for (let i = 0; i < size; i++) this.spawn();
  }

  /** True once every worker has started (until then callers keep working on their own thread). */
  get ready(): boolean {
    return this.slots.length === this.size && this.slots.every((s) => s.ready);
  }

  private spawn(): void {
    const worker = new Worker(WORKER_URL);
    const slot: Slot = { worker, busy: 0, ready: false };
    worker.unref();
    worker.on('message', (m: { ready?: true; id?: number; out?: ArrayBuffer; length?: number; chunks?: number; error?: string; fault?: string }) => {
      if (m.ready) {
        slot.ready = true;
        return;
      }
      const p = this.pending.get(m.id!);
      if (p === undefined) return;
      this.pending.delete(m.id!);
      if (--slot.busy === 0) worker.unref();
      if (m.fault !== undefined) p.reject(new Error(m.fault));
      else p.resolve({ out: new Uint8Array(m.out!, 0, m.length ?? m.out!.byteLength), chunks: m.chunks ?? 0, error: m.error });
    });
    const die = (e: Error): void => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const [id, p] of this.pending) {
        if (p.slot !== slot) continue;
        this.pending.delete(id);
        p.reject(e);
      }
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`chunk worker exited (${code})`)));
    this.slots.push(slot);
  }

  run(task: ChunkTask): Promise<ChunkResult> {
    if (this.closed) return Promise.reject(new Error('chunk pool closed'));
    if (this.slots.length < this.size) this.spawn(); // replaces a worker that died
    const slot = this.slots.filter((s) => s.ready).reduce<Slot | undefined>((a, s) => (a === undefined || s.busy < a.busy ? s : a), undefined);
    if (slot === undefined) return Promise.reject(new Error('chunk pool not ready'));
    const id = this.nextId++;
    const data = task.data;
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) throw new RangeError('batch must own its buffer');
    return new Promise<ChunkResult>((resolve, reject) => {
      this.pending.set(id, { slot, resolve, reject });
      if (slot.busy++ === 0) slot.worker.ref();
      slot.worker.postMessage({ id, op: task.op, key: task.key, counter: task.counter, data: data.buffer, final: task.final }, [data.buffer as ArrayBuffer]);
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
