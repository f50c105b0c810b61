// The blob pool's shared memory (blob-pool.ts slabs): one shared WebAssembly.Memory that slabs are cut from, so
// that a copy between two of them is WebAssembly's memory.copy (a memmove) instead of TypedArray.set, which V8
// runs one byte at a time on shared memory unless source and target are equally aligned (a pack's blobs never
// are: 1.2 against 17 GB/s here), and so that the chunker's WebAssembly scans slab bytes where they are
// (cut-points.ts arenaScanner). The memory has its full size from the start (pages the arena never hands out are
// never touched, so they cost no memory) and never grows, so its buffer is one SharedArrayBuffer for good and
// every thread sees all of it. Slabs are never handed back to the arena (the pool reuses them); past `maxBytes`,
// or where a shared memory cannot be made, `alloc` says undefined and the pool makes a SharedArrayBuffer as
// before. Blob workers load it too, bundled into their script or from source under tsx (client/worker-script.ts).

import { ARENA_WASM } from './arena-wasm.js';
import type { WasmApi, WasmMemory } from './wasm-api.js';

// the global WebAssembly, typed (wasm-api.ts)
declare const WebAssembly: WasmApi;

const PAGE = 65536;
/** Slabs start on a cache line. */
const ALIGN = 64;

/** memory.copy of an arena's memory: bytes [from, from + n) to `to`, as a memmove. */
type Copy = (to: number, from: number, n: number) => void;

/** The arenas' buffers, each with its memory.copy. */
const copiers = new WeakMap<ArrayBufferLike, Copy>();

export class SharedArena {
  // `declare`: typed here, assigned in the constructor only (no class fields emitted, so the object is built as before)
  declare readonly maxBytes: number;
  /** The shared WebAssembly.Memory (for a blob worker's chunker, cut-points.ts arenaScanner). */
  declare readonly memory: WasmMemory;
  declare readonly copy: Copy;
  declare readonly buffer: SharedArrayBuffer;
  declare used: number;

  /** Throws when this runtime cannot make a shared WebAssembly memory of `maxBytes` (the caller goes without). */
  constructor(maxBytes: number) {
    const pages = Math.max(1, Math.floor(maxBytes / PAGE));
    this.maxBytes = pages * PAGE;
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(ARENA_WASM, 'base64')), { arena: { memory: this.memory } });
    this.copy = instance.exports.copy as Copy;
    // a shared memory's buffer is a SharedArrayBuffer
    this.buffer = this.memory.buffer as SharedArrayBuffer;
    copiers.set(this.buffer, this.copy);
    this.used = 0;
  }

  /** A fresh, zeroed region of `size` bytes as a Buffer over the arena's memory, or undefined when it does not fit. */
  alloc(size: number): Buffer | undefined {
    const at = Math.ceil(this.used / ALIGN) * ALIGN;
    if (!Number.isSafeInteger(size) || size <= 0 || at + size > this.maxBytes) return undefined;
    this.used = at + size;
    return Buffer.from(this.buffer, at, size);
  }

  /** Whether `view` is a view of this arena's memory. */
  owns(view: Uint8Array): boolean {
    return view.buffer === this.buffer;
  }
}

/**
 * Copies `src` into `dst` at `dstAt` (as dst.set(src, dstAt), with its RangeError when it does not fit): with
 * memory.copy when both are views of one arena, else with TypedArray.set.
 */
export function copyInto(dst: Uint8Array, dstAt: number, src: Uint8Array): void {
  if (!Number.isInteger(dstAt) || dstAt < 0 || dstAt + src.length > dst.length) throw new RangeError('offset is out of bounds');
  const copy = copiers.get(dst.buffer);
  if (copy !== undefined && copiers.get(src.buffer) === copy) copy(dst.byteOffset + dstAt, src.byteOffset, src.length);
  else dst.set(src, dstAt);
}

/** Moves bytes [from, end) of `buf` to `to` (as buf.copyWithin(to, from, end)), with memory.copy in an arena. */
export function copyWithinInto(buf: Uint8Array, to: number, from: number, end: number): void {
  const copy = copiers.get(buf.buffer);
  if (copy === undefined || !(to >= 0 && from >= 0 && end >= from && end <= buf.length && to + (end - from) <= buf.length)) buf.copyWithin(to, from, end);
  else copy(buf.byteOffset + to, buf.byteOffset + from, end - from);
}
