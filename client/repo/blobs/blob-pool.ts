// Worker threads for the snapshot engine's CPU work (blob-ops.ts: chunk + HMAC + compress, seal, open), so a
// backup hashes on the other cores while this thread reads files and uploads. Tasks go to the worker with the
// fewest in flight. Big buffers are slabs: shared with every worker once, then named by id in tasks, so no buffer
// object crosses threads per task (each one that arrives counts as fresh external memory, and the main thread's
// big heap pays for that in full collections); others are transferred both ways (no copies). With size 0 every task runs on
// this thread, synchronously, with the same code. Idle workers are unref'd, so an idle pool never keeps the
// process alive; a worker that dies fails its tasks (the caller's operation then fails; nothing is committed).
// Once closed, the pool takes no more tasks (they fail at once), so no worker outlives it. The messages both ways
// are typed in blob-messages.ts.

import type { Worker } from 'node:worker_threads';
import { startWorker, workerScript } from '../../worker-script.js';
import { availableParallelism } from 'node:os';
import { type ChunkTask, type OpenTask, type SealTask, chunkSegments, openBlobs, sealObject } from './blob-ops.js';
import type {
  BlobOp, BlobReplyMessage, BlobResults, BlobTaskMessage, BlobTaskOf, ChunkResult, GetOpenResult, GetOpenTask, OpenResult, SealPutResult,
  SealPutTask, SealResult, SlabGrant,
} from './blob-messages.js';
import { keepFreedMemory, processTuned } from '../../../runtime/gc.js';
import { SharedArena } from './arena.js';
import { ClientError } from '../../errors.js';

const WORKER_URL = workerScript('blob-worker', new URL('./blob-worker.ts', import.meta.url));
/** Runs this short are opened on this thread: a message round trip costs more than the work. */
const INLINE_OPEN_BYTES = 256 * 1024;
/** A free slab is reused for a request of at least 1 / SLAB_FIT of its size (takeSlab). */
const SLAB_FIT = 1.5;
/** The most slab memory cut from one shared WebAssembly memory (arena.ts); more slabs are SharedArrayBuffers. */
const ARENA_BYTES = 256 * 1024 * 1024;

/**
 * A buffer shared with the blob workers, reused: a task names it by `id` (`slab` instead of `buf`) and owns its
 * bytes until it settles; in between, its taker does.
 */
export interface Slab {
  readonly id: number;
  readonly bytes: Buffer;
}

interface Member {
  worker: Worker;
  tasks: number;
  /** Slabs this worker has been sent. */
  slabs: Set<number>;
  /** Where this worker's chunker keeps its gear table in the arena, once it has been sent the arena. */
  gearAt?: number;
  /** Tasks finished and milliseconds with at least one task in flight (benchmarks). */
  done: number;
  busyMs: number;
  busySince: number;
}

/** Worker threads by default: one per core, at most 2 (the main thread reads, packs and uploads). */
export function defaultBlobWorkers(): number {
  return Math.min(2, availableParallelism());
}

/** A task's own buffer is transferred; a slab is not. */
function transferOf(task: { buf?: ArrayBuffer | SharedArrayBuffer; slab?: number }): ArrayBuffer[] {
  return task.slab === undefined && task.buf instanceof ArrayBuffer ? [task.buf] : [];
}

export class BlobPool {
  private readonly members: Member[] = [];
  private readonly pending = new Map<number, { member: Member; resolve: (v: BlobResults[BlobOp]) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  private started = false;

  /** Workers start on the first task that needs them (an unchanged backup may need none). */
  constructor(readonly size: number = defaultBlobWorkers()) {}

  private spawn(): void {
    const worker = startWorker(WORKER_URL, { workerData: { tuned: processTuned() }, resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 64 } });
    const member: Member = { worker, tasks: 0, slabs: new Set(), done: 0, busyMs: 0, busySince: 0 };
    worker.on('message', (m: BlobReplyMessage) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      member.tasks--;
      member.done++;
      if (member.tasks === 0) {
        if (!this.closing) worker.unref();
        member.busyMs += performance.now() - member.busySince;
      }
      // a system error keeps what node:fs or node:net said (the restore names the file that could not be written)
      if (m.error !== undefined) p.reject(Object.assign(new Error(m.error), m.system));
      // `!`: a reply without an error has its result
      else p.resolve(m.result!);
    });
    const die = (e: Error) => {
      const i = this.members.indexOf(member);
      if (i >= 0) this.members.splice(i, 1);
      for (const [id, p] of this.pending) {
        if (p.member !== member) continue;
        this.pending.delete(id);
        p.reject(e);
      }
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`blob worker exited (${code})`)));
    worker.unref();
    this.members.push(member);
  }

  /** Per worker: tasks done and milliseconds busy (benchmarks). */
  get stats(): { done: number; busyMs: number }[] {
    return this.members.map((m) => ({ done: m.done, busyMs: Math.round(m.busyMs) }));
  }

  /** The sizes of the slabs made so far (they live as long as the pool; tests and benchmarks). */
  get slabSizes(): number[] {
    return this.slabMemory.map((m) => m.byteLength);
  }

  /** How many slabs are cut from the arena (tests). */
  get arenaSlabs(): number {
    return this.slabMemory.filter((m) => this.arena?.owns(m) === true).length;
  }

  /** Tasks in flight on the workers. */
  get busy(): number {
    return this.pending.size;
  }

  /** Each slab's bytes, by id: a region of the arena, or a whole buffer of its own. */
  private readonly slabMemory: Buffer[] = [];
  private readonly freeSlabs: Slab[] = [];
  /** Shared memory the slabs are cut from when there are workers (undefined until the first, or where it cannot be made). */
  private arena: SharedArena | undefined;
  private arenaTried = false;

  private newSlabMemory(size: number): Buffer {
    if (this.size === 0) return Buffer.from(new ArrayBuffer(size));
    if (!this.arenaTried) {
      this.arenaTried = true;
      try {
        this.arena = new SharedArena(ARENA_BYTES);
      } catch {
        this.arena = undefined;
      }
    }
    return this.arena?.alloc(size) ?? Buffer.from(new SharedArrayBuffer(size));
  }

  /**
   * A slab of at least `size` bytes: the smallest free one that fits and is less than SLAB_FIT times that size,
   * so a slab serves requests of its own kind (a pack's 13 MiB slab is not spent on an 8 MiB read window, nor a
   * window's on a 5 MiB batch, which would make the next pack or window allocate another), else a new one
   * (shared memory when there are workers).
   */
  takeSlab(size: number): Slab {
    let i = -1;
    this.freeSlabs.forEach((s, j) => {
      if (s.bytes.length >= size && s.bytes.length < SLAB_FIT * size && (i < 0 || s.bytes.length < this.freeSlabs[i]!.bytes.length)) i = j;
    });
    if (i >= 0) return this.freeSlabs.splice(i, 1)[0]!;
    const bytes = this.newSlabMemory(size);
    const id = this.slabMemory.push(bytes) - 1;
    return { id, bytes };
  }

  /** Hands a slab back for the next takeSlab (slabs live as long as the pool). */
  giveSlab(slab: Slab): void {
    this.freeSlabs.push(slab);
  }

  /** The task as the blob-ops functions take it: a slab named by id resolved to its memory. */
  private resolve<T extends BlobTaskOf<BlobOp>>(task: T): T {
    const t = task as { slab?: number };
    if (t.slab === undefined) return task;
    const bytes = this.slabMemory[t.slab]!;
    return { ...t, buf: bytes.buffer, base: bytes.byteOffset } as T;
  }

  private run<O extends BlobOp>(op: O, task: BlobTaskOf<O>, transfer: ArrayBuffer[], small = false): Promise<BlobResults[O]> {
    // a task that comes after close (another pack of a restore that already failed) never starts a worker: one
    // started then would never be stopped, and its port would keep the process alive for ever
    if (this.closing) return Promise.reject(new ClientError('cancelled', 'the blob workers are stopped'));
    // reads (restore, dump, check --read-data) keep freed memory for reuse: their opened plaintexts would fault
    // in fresh pages (+0.5 CPU-s per GiB restored); a backup's cipher buffers are freed every 4 MiB and reused
    // anyway, so there it only kept ~25 MiB more resident (runtime/gc.ts)
    if (!small && (op === 'open' || op === 'getOpen')) keepFreedMemory();
    if (!this.started && !small) {
      this.started = true;
      for (let i = 0; i < this.size; i++) this.spawn();
    }
    let best: Member | undefined;
    for (const m of this.members) if (best === undefined || m.tasks < best.tasks) best = m;
    if (best === undefined || small) {
      try {
        return Promise.resolve(this.inline(op, this.resolve(task)));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    }
    const member = best;
    const id = this.nextId++;
    if (member.tasks === 0) member.busySince = performance.now();
    member.tasks++;
    member.worker.ref();
    const slab = (task as { slab?: number }).slab;
    // a slab's memory goes to a worker once, as the buffer it is in and where in it the slab starts; with the
    // first slab of the arena, the arena itself and 1 KiB of it for the worker's chunker to scan it in place
    let sab: SlabGrant | undefined;
    if (slab !== undefined && !member.slabs.has(slab)) {
      member.slabs.add(slab);
      const bytes = this.slabMemory[slab]!;
      sab = { sab: bytes.buffer, base: bytes.byteOffset };
      if (this.arena?.owns(bytes)) {
        sab.inArena = true;
        if (member.gearAt === undefined) {
          const gear = this.arena.alloc(1024);
          if (gear !== undefined) {
            member.gearAt = gear.byteOffset;
            sab.arena = { memory: this.arena.memory, gearAt: member.gearAt };
          }
        }
      }
    }
    return new Promise<BlobResults[O]>((resolve, reject) => {
      this.pending.set(id, { member, resolve: resolve as (v: BlobResults[BlobOp]) => void, reject });
      // `as`: run's signature pairs `op` with its task; TypeScript does not carry that pairing through generics
      member.worker.postMessage({ id, op, task, ...(sab ?? {}) } as BlobTaskMessage, transfer);
    });
  }

  /**
   * The task run on this thread. The buffers in results are typed as the pool promises them (blob-messages.ts):
   * on this thread a task's `buf` is its own ArrayBuffer, or a slab's (then no worker exists: an ArrayBuffer too).
   */
  private inline<O extends BlobOp>(op: O, task: BlobTaskOf<O>): BlobResults[O] {
    if (op === 'sealPut' || op === 'getOpen') throw new Error('direct transfers need a worker');
    if (op === 'chunk') {
      const t = task as ChunkTask;
      return { segments: chunkSegments(t), buf: t.buf } as ChunkResult as BlobResults[O];
    }
    if (op === 'seal') {
      const t = task as SealTask;
      const file = sealObject(t);
      return { file: file.byteOffset === 0 ? file.buffer : file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength), size: file.byteLength, buf: t.buf } as SealResult as BlobResults[O];
    }
    const r = openBlobs(task as OpenTask);
    const whole = r.plain.byteOffset === 0 && r.plain.byteLength === r.plain.buffer.byteLength;
    return { plain: whole ? r.plain.buffer : r.plain.buffer.slice(r.plain.byteOffset, r.plain.byteOffset + r.plain.byteLength), at: r.at, buf: (task as OpenTask).buf } as OpenResult as BlobResults[O];
  }

  /** Chunks and names the segments of `task.buf`, which is transferred and comes back as `buf`. */
  chunk(task: ChunkTask): Promise<ChunkResult> {
    return this.run('chunk', task, transferOf(task));
  }

  /** Seals a pack into the first `size` bytes of `file` (`task.out` when it fits); `task.buf` (and `out`) are transferred, `buf` comes back. */
  seal(task: SealTask): Promise<SealResult> {
    return this.run('seal', task, [...transferOf(task), ...(task.out !== undefined ? [task.out] : [])]);
  }

  /**
   * Opens sealed chunks and returns the blobs' plaintext back to back (or, with `task.writes`, writes them into
   * their files and returns no plaintext); `task.buf` is transferred and comes back as `buf`. With `here`, on
   * this thread.
   */
  open(task: OpenTask, here = false): Promise<OpenResult> {
    return this.run('open', task, [task.buf as ArrayBuffer], here || task.length <= INLINE_OPEN_BYTES);
  }

  /** Whether tasks run on worker threads (`sealPut` and `getOpen` need one). */
  get threaded(): boolean {
    return this.size > 0;
  }

  /**
   * Seals a pack on a worker, which PUTs the age file to `task.put` itself (the bytes never come to this
   * thread). When that one attempt did not succeed, `file` holds the age file (and `miss` why) for the caller to
   * store through its store, with its retry rules. `task.buf` is transferred and comes back as `buf`.
   */
  sealPut(task: SealPutTask): Promise<SealPutResult> {
    return this.run('sealPut', task, transferOf(task));
  }

  /**
   * A worker GETs a range of sealed chunks from `task.get` and opens (or, with `writes`, writes) the blobs in it,
   * as `open` does. `miss` (and no plaintext) when that one GET did not bring exactly the range: the caller then
   * reads it through its store.
   */
  getOpen(task: GetOpenTask): Promise<GetOpenResult> {
    return this.run('getOpen', task, []);
  }

  private closing = false;

  /**
   * Stops the workers. Each is ref'd until it has exited: a task's answer arriving meanwhile would otherwise
   * unref its worker, and with nothing else to wait for the process would end with this await unsettled (exit 13,
   * no message: seen after a restore failed with tasks in flight).
   */
  async close(): Promise<void> {
    this.closing = true;
    const members = this.members.splice(0);
    await Promise.all(members.map((m) => {
      m.worker.ref();
      return m.worker.terminate();
    }));
  }
}
