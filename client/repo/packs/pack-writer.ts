// Packs (docs/repository.md "Packs"): blobs of one type appended to one plaintext buffer, then the JSON trailer
// and its u32le length. The plaintext is sealed on a blob worker as one age file whose header hash goes into
// the index. Packs target 12 MiB (at most 64 MiB: a blob is at most 4 MiB).

import { createHash } from 'node:crypto';
import { beginFile } from '../../age/object-parts.js';
import { copyInto } from '../blobs/arena.js';
import { sealedSize } from '../blobs/blob-ops.js';
import type { BlobPool, Slab } from '../blobs/blob-pool.js';
import type { BlobEntry, BlobType, PackEntry } from './index.js';
import type { RepoKeys } from '../keys.js';
import { newId } from '../objects.js';
import type { CallOptions, DirectStore } from '../storage/store.js';

export const PACK_TARGET = 12 * 1024 * 1024;
export const PACK_MAX = 64 * 1024 * 1024;
/** A backup closes a pack before a blob would take it past the target; room for a trailer of ~5,000 blobs. */
const INITIAL_CAPACITY = PACK_TARGET + 1024 * 1024;
/** What sealing adds to a pack's plaintext: the age header and nonce, and 16 bytes per 64 KiB (~0.03%). */
const SEAL_ROOM = 64 * 1024 + INITIAL_CAPACITY / 2048;
/** Size of a fresh buffer for sealed packs: any pack up to the initial capacity fits. */
export const SEALED_CAPACITY = INITIAL_CAPACITY + SEAL_ROOM;

/** A few big buffers kept for reuse instead of fresh allocations. */
export class BufferRecycler {
  private readonly free: Buffer[] = [];
  constructor(private readonly keep = 4) {}

  take(size: number): Buffer | undefined {
    const i = this.free.findIndex((b) => b.length >= size);
    return i < 0 ? undefined : this.free.splice(i, 1)[0];
  }

  get size(): number {
    return this.free.length;
  }

  give(b: Buffer): void {
    if (this.free.length < this.keep) this.free.push(b);
  }
}

export class PackBuilder {
  readonly id = newId();
  readonly blobs: BlobEntry[] = [];
  private buf: Buffer;
  /** The pool slab `buf` is, while it is one (a pack that outgrows it moves to its own buffer). */
  private slab: Slab | undefined;
  private length = 0;

  /** With `pool`, the plaintext goes into one of its slabs (reused memory the workers seal from in place). */
  constructor(readonly type: BlobType, capacity = INITIAL_CAPACITY, private readonly pool?: BlobPool) {
    this.slab = pool?.takeSlab(capacity);
    this.buf = this.slab?.bytes ?? Buffer.allocUnsafeSlow(capacity);
  }

  get size(): number {
    return this.length;
  }

  get full(): boolean {
    return this.length >= PACK_TARGET;
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.length + extra));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
    this.releaseSlab();
  }

  /** Appends a blob as stored (`stored`: compressed when z = 1) whose plaintext is `u` bytes. */
  add(id: string, stored: Uint8Array, u: number, z: 0 | 1): void {
    this.ensure(stored.length);
    copyInto(this.buf, this.length, stored);
    this.blobs.push({ id, o: this.length, l: stored.length, u, z });
    this.length += stored.length;
  }

  /** Appends the trailer and begins the pack's age file: the plaintext length and the sealed size. */
  private finish(keys: RepoKeys): { start: ReturnType<typeof beginFile>; length: number; size: number; entry: (size: number) => PackEntry } {
    const trailer = Buffer.from(JSON.stringify({ id: this.id, blobs: this.blobs.map((b) => ({ id: b.id, t: this.type, o: b.o, l: b.l, u: b.u, z: b.z })) }), 'utf8');
    this.ensure(trailer.length + 4);
    this.buf.set(trailer, this.length);
    this.buf.writeUInt32LE(trailer.length, this.length + trailer.length);
    const length = this.length + trailer.length + 4;
    const start = beginFile(keys.recipient);
    const h = createHash('sha256').update(start.header).digest('hex');
    return { start, length, size: sealedSize(start.prefix.length, length), entry: (size) => ({ id: this.id, t: this.type, size, h, blobs: this.blobs }) };
  }

  private releaseSlab(): void {
    if (this.slab !== undefined) this.pool?.giveSlab(this.slab);
    this.slab = undefined;
  }

  /** What a seal task takes of the plaintext: the slab's id, or the buffer itself (transferred). */
  private plaintext(): { slab: number } | { buf: ArrayBuffer } {
    return this.slab !== undefined ? { slab: this.slab.id } : { buf: this.buf.buffer as ArrayBuffer };
  }

  /** After the seal: the plaintext is no longer this pack's. */
  private done(): void {
    this.buf = Buffer.alloc(0);
    this.releaseSlab();
  }

  /** Appends the trailer, seals the pack (on a worker) and returns the age file and its index entry. */
  async seal(keys: RepoKeys, pool: BlobPool, outputs?: BufferRecycler): Promise<{ file: Uint8Array; entry: PackEntry }> {
    const { start, length, entry } = this.finish(keys);
    const out = outputs?.take(length + SEAL_ROOM)?.buffer as ArrayBuffer | undefined;
    const { file, size } = await pool.seal({ prefix: start.prefix, payloadKey: start.payloadKey, ...this.plaintext(), length, ...(out !== undefined ? { out } : {}) });
    this.done();
    return { file: new Uint8Array(file, 0, size), entry: entry(size) };
  }

  /**
   * Seals the pack on a worker that uploads it itself to the store's presigned URL (`store.uploadRequest`), so
   * its bytes never come to this thread; if that one attempt fails, the age file is stored through `store.put`.
   */
  async sealAndStore(keys: RepoKeys, pool: BlobPool, store: Pick<DirectStore, 'put' | 'uploadRequest' | 'uploaded'>, options: CallOptions): Promise<PackEntry> {
    const { start, length, size, entry } = this.finish(keys);
    const name = { type: 'data' as const, id: this.id };
    const put = await store.uploadRequest(name, size, options);
    const r = await pool.sealPut({ prefix: start.prefix, payloadKey: start.payloadKey, ...this.plaintext(), length, size, put });
    this.done();
    if (r.size !== size) throw new Error('sealed size mismatch');
    // after a failed attempt the store sends the age file to the same URL (its bytes are reserved once)
    if (r.file !== undefined) await store.put(name, new Uint8Array(r.file, 0, r.size), options);
    else store.uploaded?.(name);
    return entry(size);
  }
}

export interface PackTrailerBlob extends BlobEntry {
  t: BlobType;
}

/** Parses a pack plaintext's trailer (check). */
export function readTrailer(plain: Uint8Array): { id: string; blobs: PackTrailerBlob[] } {
  if (plain.length < 4) throw new Error('pack too short');
  const view = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  const n = view.readUInt32LE(plain.length - 4);
  if (n + 4 > plain.length) throw new Error('pack trailer length out of range');
  const t = JSON.parse(view.subarray(plain.length - 4 - n, plain.length - 4).toString('utf8')) as { id: string; blobs: PackTrailerBlob[] };
  if (typeof t.id !== 'string' || !Array.isArray(t.blobs)) throw new Error('malformed pack trailer');
  return t;
}
