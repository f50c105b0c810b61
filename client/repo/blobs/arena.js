// The blob pool's shared memory (blob-pool.ts slabs): one shared WebAssembly.Memory that slabs are cut from, so
// that a copy between two of them is WebAssembly's memory.copy (a memmove) instead of TypedArray.set, which V8
// runs one byte at a time on shared memory unless source and target are equally aligned (a pack's blobs never
// are: 1.2 against 17 GB/s here), and so that the chunker's WebAssembly scans slab bytes where they are
// (cut-points.js arenaScanner). The memory has its full size from the start (pages the arena never hands out are
// never touched, so they cost no memory) and never grows, so its buffer is one SharedArrayBuffer for good and
// every thread sees all of it. Slabs are never handed back to the arena (the pool reuses them); past `maxBytes`,
// or where a shared memory cannot be made, `alloc` says undefined and the pool makes a SharedArrayBuffer as
// before. Plain JavaScript so a blob worker loads it. Types: arena.d.ts.

import { ARENA_WASM } from './arena-wasm.js';

const PAGE = 65536;
/** Slabs start on a cache line. */
const ALIGN = 64;

/** The arenas' buffers, each with its memory.copy. */
const copiers = new WeakMap();

export class SharedArena {
  /** Throws when this runtime cannot make a shared WebAssembly memory of `maxBytes` (the caller goes without). */
  constructor(maxBytes) {
    const pages = Math.max(1, Math.floor(maxBytes / PAGE));
    this.maxBytes = pages * PAGE;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(ARENA_WASM, 'base64')), { arena: { memory: this.memory } });
    this.copy = instance.exports.copy;
    this.buffer = this.memory.buffer;
    copiers.set(this.buffer, this.copy);
    this.used = 0;
  }

  /** A fresh, zeroed region of `size` bytes as a Buffer over the arena's memory, or undefined when it does not fit. */
  alloc(size) {
    const at = Math.ceil(this.used / ALIGN) * ALIGN;
    if (!Number.isSafeInteger(size) || size <= 0 || at + size > this.maxBytes) return undefined;
    this.used = at + size;
    return Buffer.from(this.buffer, at, size);
  }

  /** Whether `view` is a view of this arena's memory. */
  owns(view) {
    return view.buffer === this.buffer;
  }
}

/**
 * Copies `src` into `dst` at `dstAt` (as dst.set(src, dstAt), with its RangeError when it does not fit): with
 * memory.copy when both are views of one arena, else with TypedArray.set.
 */
export function copyInto(dst, dstAt, src) {
  if (!Number.isInteger(dstAt) || dstAt < 0 || dstAt + src.length > dst.length) throw new RangeError('offset is out of bounds');
  const copy = copiers.get(dst.buffer);
  if (copy !== undefined && copiers.get(src.buffer) === copy) copy(dst.byteOffset + dstAt, src.byteOffset, src.length);
  else dst.set(src, dstAt);
}

/** Moves bytes [from, end) of `buf` to `to` (as buf.copyWithin(to, from, end)), with memory.copy in an arena. */
export function copyWithinInto(buf, to, from, end) {
  const copy = copiers.get(buf.buffer);
  if (copy === undefined || !(to >= 0 && from >= 0 && end >= from && end <= buf.length && to + (end - from) <= buf.length)) buf.copyWithin(to, from, end);
  else copy(buf.byteOffset + to, buf.byteOffset + from, end - from);
}
