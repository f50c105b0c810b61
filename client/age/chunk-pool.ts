// A small pool of worker threads (chunk-worker.ts) that seal or open batches of age STREAM chunks, so one stream
// can use more than one core. The input of a task lives in a SharedArrayBuffer the stream owns; the output
// buffers come back transferred (zero copy). Each worker has its own MessagePort: results are delivered by its
// 'message' event, or earlier by poll(), which drains the ports synchronously so a stream busy on its own
// thread picks them up between two batches without waiting for the event loop. A worker takes at most
// tasksPerWorker(size) tasks at a time; tryRun() says no beyond that and the caller does the batch itself. Ordering
// is the caller's job (batch-transform.ts). Idle workers and ports are unref'd, so an idle pool never keeps the
// process alive.

import { MessageChannel, type MessagePort, type Worker, receiveMessageOnPort } from 'node:worker_threads';
import { startWorker, workerScript } from '../worker-script.js';
import type { ChunkReply, ChunkTask, ChunkTaskMessage, ChunkWorkerData } from './chunk-worker.js';

export type { ChunkTask };

/** The output buffers, in stream order (sealing: ciphertext, tag, …; opening: plaintexts), or a fault. */
export type ChunkResult = { outs: Buffer[]; error: string | undefined } | { fault: Error };

/**
 * Tasks a worker of a pool of `size` holds at once, so it never idles while the stream's own thread is busy with
 * a batch of its own: a lone worker gets a deeper queue; with several, each sees new work more often.
 */
export function tasksPerWorker(size: number): number {
  return size === 1 ? 4 : 2;
}

interface Member {
  worker: Worker;
  port: MessagePort;
  tasks: number;
  /** Results it delivered: a worker that dies before its first one is not replaced (it would die again). */
  done: number;
  dead: boolean;
}

const WORKER_URL = workerScript('chunk-worker', new URL('./chunk-worker.ts', import.meta.url));

export class ChunkPool {
  private readonly members: Member[] = [];
  private readonly pending = new Map<number, { member: Member; done: (r: ChunkResult) => void }>();
  private nextId = 1;
  private closed = false;
  /** Set when a worker died before delivering anything: no more are started, the callers do the work. */
  private broken = false;
  readonly tasksPerWorker: number;

  /** `workerUrl` is the worker script (tests give a broken one). */
  constructor(readonly size: number, private readonly workerUrl: URL = WORKER_URL) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError('pool size must be a positive integer');
    this.tasksPerWorker = tasksPerWorker(size);
    for (let i = 0; i < size; i++) this.spawn();
  }

  private spawn(): void {
    const { port1, port2 } = new MessageChannel();
    // Small heaps: a worker holds one batch's crypto objects; its output buffers leave with the results.
    const worker = startWorker(this.workerUrl, {
      workerData: { port: port2 } satisfies ChunkWorkerData, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 },
    });
    const member: Member = { worker, port: port1, tasks: 0, done: 0, dead: false };
    port1.on('message', (m: ChunkReply) => this.receive(member, m));
    worker.on('error', (e) => this.die(member, e));
    worker.on('exit', (code) => this.die(member, new Error(`chunk worker exited (${code})`)));
    this.members.push(member);
    this.updateRef(member);
  }

  /** A worker keeps the process alive only while it has tasks. */
  private updateRef(m: Member): void {
    if (m.tasks > 0) {
      m.worker.ref();
      m.port.ref();
    } else {
      m.worker.unref();
      m.port.unref();
    }
  }

  private receive(member: Member, m: ChunkReply): void {
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.pending.delete(m.id);
    member.tasks--;
    member.done++;
    this.updateRef(member);
    p.done(m.fault !== undefined ? { fault: new Error(m.fault) } : { outs: (m.outs ?? []).map((ab) => Buffer.from(ab)), error: m.error });
  }

  private die(member: Member, e: Error): void {
    if (member.dead) return;
    member.dead = true;
    const i = this.members.indexOf(member);
    if (i >= 0) this.members.splice(i, 1);
    if (member.done === 0) this.broken = true;
    member.port.close();
    for (const [id, p] of this.pending) {
      if (p.member !== member) continue;
      this.pending.delete(id);
      p.done({ fault: e });
    }
  }

  /** True when some worker would take a task now. */
  hasRoom(): boolean {
    if (this.closed) return false;
    return (!this.broken && this.members.length < this.size) || this.members.some((m) => m.tasks < this.tasksPerWorker);
  }

  /**
   * Gives `task` to the least busy worker if one has room (a starting worker queues it) and returns true;
   * `done` is then called exactly once, from poll() or a 'message' event, never from inside tryRun. Returns
   * false, and never calls `done`, when every worker is full.
   */
  tryRun(task: ChunkTask, done: (r: ChunkResult) => void): boolean {
    if (this.closed) return false;
    while (!this.broken && this.members.length < this.size) this.spawn(); // replaces a worker that died
    let best: Member | undefined;
    for (const m of this.members) if (m.tasks < this.tasksPerWorker && (best === undefined || m.tasks < best.tasks)) best = m;
    if (best === undefined) return false;
    const id = this.nextId++;
    this.pending.set(id, { member: best, done });
    best.tasks++;
    this.updateRef(best);
    best.port.postMessage({ id, ...task } satisfies ChunkTaskMessage);
    return true;
  }

  /** Delivers every result that has already arrived, synchronously. */
  poll(): void {
    for (const m of this.members.slice()) {
      for (let r = receiveMessageOnPort(m.port); r !== undefined && !m.dead; r = receiveMessageOnPort(m.port)) {
        this.receive(m, r.message as ChunkReply);
      }
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Stops every worker; their unfinished tasks end in a fault (tests and benchmarks; the shared pool otherwise
   * lives as long as the process, and sharedChunkPool starts a new one after this).
   */
  async close(): Promise<void> {
    this.closed = true;
    const members = this.members.splice(0);
    await Promise.all(members.map((m) => m.worker.terminate()));
  }
}

const shared = new Map<number, ChunkPool>();

/**
 * The process-wide pool of `size` workers, started on first use. Pools of other sizes (a caller asking for a
 * different count) live on beside it, unref'd while idle, so a stream never loses its workers to another.
 */
export function sharedChunkPool(size: number): ChunkPool {
  let pool = shared.get(size);
  if (pool === undefined || pool.isClosed) {
    pool = new ChunkPool(size);
    shared.set(size, pool);
  }
  return pool;
}
