// Types of arena.js (the blob pool's shared memory, copied with memory.copy).

export declare class SharedArena {
  readonly maxBytes: number;
  readonly used: number;
  /** The shared WebAssembly.Memory (for a blob worker's chunker, cut-points.js arenaScanner). */
  readonly memory: unknown;
  constructor(maxBytes: number);
  alloc(size: number): Buffer | undefined;
  owns(view: Uint8Array): boolean;
}
export declare function copyInto(dst: Uint8Array, dstAt: number, src: Uint8Array): void;
export declare function copyWithinInto(buf: Uint8Array, to: number, from: number, end: number): void;
