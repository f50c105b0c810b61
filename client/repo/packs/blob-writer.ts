// The blob-writer session: the one owner of writing blobs into packs (docs/repository.md "Packs", "Index"). It
// drops blobs the index or its own pending packs already hold, appends new ones to a data or a tree pack
// (PackBuilder), seals and stores each full pack in the background in a few upload slots (a data pack straight
// from a worker into its upload when the store has URLs: PackBuilder.sealAndStore; otherwise sealed here and
// stored through `store.put`, the sealed buffers recycled), and keeps the index: with the `cadence` policy
// (backup) an index object every 16 packs or 30 s and at the end, and on a failure or an abort an index of the
// packs already stored (never a snapshot); with the `supersede` policy (prune's repacking) no index at all: the
// caller writes the one index that lists what `finish` returns and supersedes the others. The first failure of
// any pack is the session's failure. It corresponds to restic's internal/repository packer manager together
// with `WithBlobUploader` (flush packs, write the index at the end). It takes the BlobWriterRepo port (ports.ts:
// keys, workers, a pack store, the index's has and addPack, the tree-pack cache, index writes), never a Repository.
//
// Its lifecycle, one named state machine:
//
//   open ──finish()──▶ finishing ──(open packs stored, last index written)──▶ finished
//   open | finishing ──(a pack or an index failed, or the signal aborted)──▶ failed
//   open | finishing | failed ──abort()──▶ aborted (in-flight packs settled, the abort index written)
//   finishing ──(failed)──▶ aborted, by finish itself, which then rethrows the failure
//
// Adding a blob in any state but `open` is an error (the failure itself once failed).

import { blobId, compressAlways } from '../blobs/blob-ops.js';
import type { SegmentOut } from '../blobs/blob-ops.js';
import type { BlobType, PackEntry } from './index.js';
import { BufferRecycler, PACK_TARGET, PackBuilder, SEALED_CAPACITY } from './pack-writer.js';
import type { BlobSink, BlobWriterRepo } from '../ports.js';
import { isDirectStore } from '../storage/store.js';
import { ClientError } from '../../errors.js';

export type BlobWriterState = 'open' | 'finishing' | 'finished' | 'failed' | 'aborted';

/** Byte counters the session adds to (a backup passes its snapshot summary). */
export interface BlobWriterCounters {
  /** Plaintext bytes of the new blobs. */
  newBytes: number;
  /** Bytes of the packs and index objects stored. */
  uploadedBytes: number;
}

export interface BlobWriterOptions {
  signal?: AbortSignal;
  /** Packs sealed or uploading at once (default 2). */
  uploads?: number;
  /**
   * `cadence` (default): blobs already indexed are dropped, stored packs join the master index, and index objects
   * are written every `packsPerIndex` packs or `indexAfterMs`, at the end, and after a failure or an abort.
   * `supersede`: every blob added is stored (it is being copied), nothing is indexed: `finish` returns the packs.
   */
  index?: 'cadence' | 'supersede';
  /**
   * When a data pack closes: `before-target` (default) before a blob would take it past the target, so it stays in
   * a pool slab and never grows; `at-target` once it reaches the target (prune's repacking), in a buffer of its own.
   */
  closeData?: 'before-target' | 'at-target';
  /** Default 16 packs (~256 MiB) and 30 s. */
  packsPerIndex?: number;
  indexAfterMs?: number;
  /** Called before each pack or index is stored (a held lock's assertHeld). */
  beforeStore?: () => void;
  /** Called before a full pack waits for an upload slot (the CLI's young-generation cap). */
  beforeUpload?: () => void;
  counters?: BlobWriterCounters;
}

const PACKS_PER_INDEX = 16;
const INDEX_AFTER_MS = 30_000;
const TREE_PACK_CAPACITY = 1024 * 1024;
const ABORT_INDEX_TIMEOUT_MS = 15_000;

class Slots {
  private waiting: (() => void)[] = [];
  private free: number;
  constructor(max: number) {
    this.free = max;
  }
  async acquire(): Promise<void> {
    while (this.free < 1) await new Promise<void>((r) => this.waiting.push(r));
    this.free -= 1;
  }
  release(): void {
    this.free += 1;
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }
}

export class BlobWriter implements BlobSink {
  private stateNow: BlobWriterState = 'open';
  private failure: unknown;
  /** Blobs in packs not yet indexed (cadence) or not yet returned (supersede). */
  private readonly pending = new Set<string>();
  private dataPack: PackBuilder | undefined;
  private treePack: PackBuilder | undefined;
  private readonly slots: Slots;
  private readonly inFlight = new Set<Promise<void>>();
  /** The segments being packed, one after another (see saveSegment). */
  private packing: Promise<unknown> = Promise.resolve();
  private unindexed: PackEntry[] = [];
  private unindexedSince = 0;
  private indexWrites: Promise<void> = Promise.resolve();
  /** Buffers of sealed packs, back once stored. */
  private readonly sealedBuffers = new BufferRecycler(2);
  /** Stored packs by the order they were closed in. */
  private readonly stored: PackEntry[] = [];
  private closed = 0;
  private readonly counters: BlobWriterCounters;
  private readonly cadence: boolean;

  constructor(private readonly repo: BlobWriterRepo, private readonly opts: BlobWriterOptions = {}) {
    this.slots = new Slots(opts.uploads ?? 2);
    this.counters = opts.counters ?? { newBytes: 0, uploadedBytes: 0 };
    this.cadence = (opts.index ?? 'cadence') === 'cadence';
  }

  get state(): BlobWriterState {
    return this.stateNow;
  }

  /** Throws the session's failure, or the signal's reason once aborted. */
  check(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.opts.signal?.aborted) throw this.opts.signal.reason ?? new ClientError('cancelled', 'cancelled');
  }

  private assertOpen(): void {
    if (this.stateNow === 'failed') throw this.failure;
    if (this.stateNow !== 'open') throw new Error(`blob writer is ${this.stateNow}: no more blobs`);
  }

  private fail(e: unknown): void {
    this.failure ??= e;
    if (this.stateNow === 'open' || this.stateNow === 'finishing') this.stateNow = 'failed';
  }

  has(id: string): boolean {
    return this.pending.has(id) || (this.cadence && this.repo.index.has(id));
  }

  /**
   * Packs the new chunks of one segment and returns its blob ids. Segments are packed one after another: a full
   * pack waits for an upload slot, and another reader must not open a new pack beside it meanwhile (each data pack
   * holds a 13 MiB slab: at most one filling, one full, and one per upload slot).
   */
  saveSegment(seg: SegmentOut, buf: Uint8Array): Promise<string[]> {
    const run = this.packing.then(() => this.saveNow(seg, buf));
    this.packing = run.catch(() => undefined);
    return run;
  }

  private async saveNow(seg: SegmentOut, buf: Uint8Array): Promise<string[]> {
    this.assertOpen();
    this.check();
    const ids: string[] = [];
    for (const c of seg.chunks) {
      ids.push(c.id);
      if (this.has(c.id)) continue;
      // a promise only when the blob closes a pack (no microtask per blob otherwise)
      const closing = this.addData(c.id, c.z ?? buf.subarray(c.o, c.o + c.l), c.l, c.z !== undefined ? 1 : 0);
      if (closing !== undefined) await closing;
    }
    return ids;
  }

  /** Stores a tree blob (its plaintext) in a tree pack and returns its id; a full tree pack uploads in the background. */
  saveTree(plain: Uint8Array): string {
    this.assertOpen();
    const id = blobId(this.repo.keys.blobIdKey, plain);
    if (this.has(id)) return id;
    this.pending.add(id);
    this.treePack ??= new PackBuilder('tree', TREE_PACK_CAPACITY);
    this.treePack.add(id, compressAlways(plain), plain.length, 1);
    if (this.treePack.full) {
      const pack = this.treePack;
      this.treePack = undefined;
      // the owner sees a failure through check(); an abort is its own to see
      this.upload(pack).catch(() => undefined);
    }
    return id;
  }

  /**
   * Adds one blob as stored (`stored`: compressed when z = 1) whose plaintext is `u` bytes; waits for an upload slot
   * when it closes a pack. A blob the session already has is dropped.
   */
  async add(type: BlobType, id: string, stored: Uint8Array, u: number, z: 0 | 1): Promise<void> {
    this.assertOpen();
    this.check();
    if (this.has(id)) return;
    if (type === 'data') return this.addData(id, stored, u, z);
    this.pending.add(id);
    this.treePack ??= new PackBuilder('tree', TREE_PACK_CAPACITY);
    this.treePack.add(id, stored, u, z);
    if (this.treePack.full) {
      const pack = this.treePack;
      this.treePack = undefined;
      await this.upload(pack);
    }
  }

  /** Adds a new data blob; returns a promise only when a pack closes (it waits for an upload slot). */
  private addData(id: string, stored: Uint8Array, u: number, z: 0 | 1): Promise<void> | undefined {
    this.pending.add(id);
    this.counters.newBytes += u;
    const within = (this.opts.closeData ?? 'before-target') === 'before-target';
    if (within && this.dataPack !== undefined && this.dataPack.size + stored.length > PACK_TARGET) {
      // packs stay within the target, so their slabs never grow
      const pack = this.dataPack;
      this.dataPack = undefined;
      return this.upload(pack).then(() => this.append(id, stored, u, z, within));
    }
    return this.append(id, stored, u, z, within);
  }

  private append(id: string, stored: Uint8Array, u: number, z: 0 | 1, within: boolean): Promise<void> | undefined {
    this.dataPack ??= new PackBuilder('data', undefined, within ? this.repo.pool : undefined);
    this.dataPack.add(id, stored, u, z);
    if (within || !this.dataPack.full) return undefined;
    const pack = this.dataPack;
    this.dataPack = undefined;
    return this.upload(pack);
  }

  /** Seals and stores a pack in the background once an upload slot is free; indexes it when stored. */
  private async upload(pack: PackBuilder): Promise<void> {
    const seq = this.closed++;
    this.opts.beforeUpload?.();
    await this.slots.acquire();
    try {
      this.check();
    } catch (e) {
      this.slots.release();
      throw e;
    }
    const p = (async () => {
      try {
        const entry = await this.storePack(pack);
        this.counters.uploadedBytes += entry.size;
        this.stored[seq] = entry;
        if (!this.cadence) return;
        this.repo.index.addPack(entry);
        for (const b of entry.blobs) this.pending.delete(b.id);
        if (this.unindexed.length === 0) this.unindexedSince = Date.now();
        this.unindexed.push(entry);
        if (this.unindexed.length >= (this.opts.packsPerIndex ?? PACKS_PER_INDEX) || Date.now() - this.unindexedSince >= (this.opts.indexAfterMs ?? INDEX_AFTER_MS)) this.writeIndex();
      } catch (e) {
        this.fail(e);
      } finally {
        this.slots.release();
      }
    })();
    this.inFlight.add(p);
    void p.then(() => this.inFlight.delete(p));
  }

  /** Seals and stores a pack: a data pack straight from a worker when the store has URLs, else through put. */
  private async storePack(pack: PackBuilder): Promise<PackEntry> {
    const { store, pool, keys } = this.repo;
    const signal = this.opts.signal;
    this.opts.beforeStore?.();
    if (pack.type === 'data' && isDirectStore(store) && pool.threaded) {
      return pack.sealAndStore(keys, pool, store, { signal });
    }
    if (pack.type === 'data' && this.sealedBuffers.size < 1) this.sealedBuffers.give(Buffer.allocUnsafeSlow(SEALED_CAPACITY));
    const { file, entry } = await pack.seal(keys, pool, pack.type === 'data' ? this.sealedBuffers : undefined);
    if (signal?.aborted) throw signal.reason ?? new ClientError('cancelled', 'cancelled');
    this.opts.beforeStore?.();
    await store.put({ type: 'data', id: entry.id }, file, { signal });
    if (entry.t === 'tree') this.repo.cache?.put({ type: 'data', id: entry.id }, file);
    else this.sealedBuffers.give(Buffer.from(file.buffer));
    return entry;
  }

  private writeIndex(): void {
    const packs = this.unindexed;
    this.unindexed = [];
    if (packs.length === 0) return;
    this.indexWrites = this.indexWrites.then(async () => {
      if (this.failure !== undefined) return;
      try {
        this.check();
        this.opts.beforeStore?.();
        const { bytes } = await this.repo.putIndex(packs, [], { signal: this.opts.signal });
        this.counters.uploadedBytes += bytes;
      } catch (e) {
        this.fail(e);
      }
    });
  }

  private async settle(): Promise<void> {
    await this.packing;
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.indexWrites;
  }

  /**
   * Stores the open packs, waits for every upload and (cadence) writes the last index; returns the packs stored,
   * in the order they were closed. On a failure the session is aborted (abort index) and the failure thrown.
   */
  async finish(): Promise<PackEntry[]> {
    this.assertOpen();
    this.stateNow = 'finishing';
    try {
      await this.packing;
      this.check();
      if (this.dataPack !== undefined && this.dataPack.blobs.length > 0) await this.upload(this.dataPack);
      this.dataPack = undefined;
      if (this.treePack !== undefined && this.treePack.blobs.length > 0) await this.upload(this.treePack);
      this.treePack = undefined;
      await this.settle();
      this.check();
      if (this.cadence) this.writeIndex();
      await this.indexWrites;
      this.check();
    } catch (e) {
      this.fail(e);
      await this.abort();
      throw e;
    }
    this.stateNow = 'finished';
    if (!this.cadence) this.pending.clear();
    return [...this.stored];
  }

  /**
   * After Ctrl-C or a failure: waits for what is in flight, then (cadence) writes an index of the packs that reached
   * the server but no index yet, so the next backup reuses them. Best effort (otherwise prune frees them). Idempotent.
   */
  async abort(reason?: unknown): Promise<void> {
    if (this.stateNow === 'aborted' || this.stateNow === 'finished') return;
    this.fail(reason ?? this.failure ?? new ClientError('cancelled', 'cancelled'));
    await this.settle();
    this.stateNow = 'aborted';
    const packs = this.unindexed.splice(0);
    if (!this.cadence || packs.length === 0) return;
    try {
      this.opts.beforeStore?.();
      await this.repo.putIndex(packs, [], { signal: AbortSignal.timeout(ABORT_INDEX_TIMEOUT_MS) });
    } catch {
      // the next backup uploads them again
    }
  }
}
