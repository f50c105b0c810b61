// The cut-point loop of the keyed FastCDC chunker (docs/repository.md "Chunking"), shared by chunker.ts on the
// main thread and blob-worker.ts (which a worker thread runs bundled, or from source under tsx:
// client/worker-script.ts). It only finds boundaries; the caller keeps the bytes. The rolling-hash loops run as
// WebAssembly (cut-points.wat, ~4× the speed of V8's code for them), over a 1 MiB window of the data copied in
// at a time, or over the data where it is when it lives in the blob pool's arena (arenaScanner); `findCutsJs` is
// the same algorithm in JavaScript, the reference the WebAssembly is tested against and what runs where
// WebAssembly cannot.

import { CUT_POINTS_WASM } from './cut-points-wasm.js';
import type { ChunkerTables } from './chunker.js';
import type { WasmApi, WasmGlobal, WasmMemory, WasmModule } from './wasm-api.js';

// the global WebAssembly, typed (wasm-api.ts)
declare const WebAssembly: WasmApi;

/** The chunker's state between pieces of one stream: the rolling hash and the bytes of the current chunk so far. */
export interface CutState {
  hash: number;
  length: number;
}

/**
 * The two hash loops findCutsWith runs: `roll` hashes data[from, to) into `hash`; `scan` does so until
 * (hash & mask) = 0 and returns [position after the last byte hashed, hash, whether it stopped at a cut].
 */
interface Loops {
  roll(data: Uint8Array, from: number, to: number, hash: number): number;
  scan(data: Uint8Array, from: number, to: number, hash: number, mask: number): [end: number, hash: number, found: boolean];
}

/** cut-points.wat's exports over one memory. */
interface WasmExports {
  roll(p: number, end: number, h: number, gear: number): number;
  scan(p: number, end: number, h: number, mask: number, gear: number): number;
  hash: WasmGlobal;
  found: WasmGlobal;
}

/** A chunker scanner over a shared memory that data already lives in (arenaScanner), or over its own window. */
export interface ArenaScanner extends WasmExports {
  /** Where its gear table is in the memory. */
  readonly gearAt: number;
  /** The gear table, as a view of the memory. */
  readonly gear: Uint32Array;
  /** The table it holds now (loadGear). */
  loaded: Uint32Array | undefined;
}

/**
 * Scans `data` from the chunker state `state` ({hash, length}, updated in place) and appends to `cuts` the
 * lengths of the chunks that end in it. `hard`/`easy` are the masks before and after the average size (the
 * tables' fields, passed one by one to this loop only: findCuts takes the tables). The
 * first minSize - 32 bytes of a chunk are not hashed (the hash at minSize depends only on its last 32 bytes);
 * the next 31 are hashed without testing (`loops.roll`); then `loops.scan` hashes until the hash under the mask
 * is zero. The hash is kept as an int32 (the same 32 bits as the uint32 of the definition, so the same cuts).
 */
function findCutsWith(
  loops: Loops, hard: number, easy: number, minSize: number, avgSize: number, maxSize: number, state: CutState, data: Uint8Array, cuts: number[],
): void {
  const hm = hard | 0, em = easy | 0;
  let hash = state.hash | 0;
  let length = state.length;
  let i = 0;
  const n = data.length;
  while (i < n) {
    if (length < minSize - 32) {
      const skip = Math.min(n - i, minSize - 32 - length);
      i += skip; length += skip; hash = 0;
      continue;
    }
    if (length < minSize - 1) {
      const end = Math.min(n, i + (minSize - 1 - length));
      hash = loops.roll(data, i, end, hash);
      length += end - i;
      i = end;
      if (length < minSize - 1) break;
    }
    let cut = false;
    if (length < avgSize) {
      const [p, h, found] = loops.scan(data, i, Math.min(n, i + (avgSize - length)), hash, hm);
      length += p - i; i = p; hash = h; cut = found;
    }
    if (!cut && length >= avgSize) {
      const [p, h, found] = loops.scan(data, i, Math.min(n, i + (maxSize - length)), hash, em);
      length += p - i; i = p; hash = h; cut = found;
      if (!cut && length >= maxSize) cut = true;
    }
    if (cut) { cuts.push(length); length = 0; hash = 0; }
  }
  state.hash = hash >>> 0;
  state.length = length;
}

/** The loops in JavaScript, over the gear table read as Int32Array (V8 then keeps them in integer registers). */
const jsLoopsOf = new WeakMap<Uint32Array, Loops>();
function jsLoops(gear: Uint32Array): Loops {
  let loops = jsLoopsOf.get(gear);
  if (loops !== undefined) return loops;
  const g = gear instanceof Int32Array ? gear : new Int32Array(gear.buffer, gear.byteOffset, gear.length);
  loops = {
    // `!`: a byte indexes the 256 gear values; i < to <= data.length
    roll(data, from, to, hash) {
      let h = hash;
      for (let i = from; i < to; i++) h = ((h << 1) + g[data[i]!]!) | 0;
      return h;
    },
    scan(data, from, to, hash, mask) {
      let h = hash;
      for (let i = from; i < to; i++) {
        h = ((h << 1) + g[data[i]!]!) | 0;
        if ((h & mask) === 0) return [i + 1, h, true];
      }
      return [to, h, false];
    },
  };
  jsLoopsOf.set(gear, loops);
  return loops;
}

/**
 * Where the data window starts in the module's own memory (the gear table is at 0), and its size. A piece is
 * copied to BASE plus its source address mod 8, so source and copy are equally aligned: from shared memory (the
 * blob pool's slabs) V8 copies word by word only then, and byte by byte otherwise (~5× slower).
 */
const BASE = 1024;
const WINDOW = 1024 * 1024;
const ALIGN = 8;
const PAGE = 65536;

const wasmModule = (() => {
  try {
    return typeof WebAssembly === 'object' ? new WebAssembly.Module(Buffer.from(CUT_POINTS_WASM, 'base64')) : undefined;
  } catch {
    return undefined;
  }
})();

/** The module over `memory` with its gear table at `gearAt`. */
function scannerOver(memory: WasmMemory, gearAt: number): ArenaScanner {
  // `as`: called only where wasmModule was made; the exports are cut-points.wat's
  const { exports } = new WebAssembly.Instance(wasmModule as WasmModule, { chunker: { memory } }) as unknown as { exports: WasmExports };
  return { roll: exports.roll, scan: exports.scan, hash: exports.hash, found: exports.found, gearAt, gear: new Uint32Array(memory.buffer, gearAt, 256), loaded: undefined };
}

/** The module over a memory of its own: the gear table, then the window that data is copied into. */
const wasm = (() => {
  if (wasmModule === undefined) return undefined;
  try {
    const pages = Math.ceil((BASE + ALIGN + WINDOW) / PAGE);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    return { ...scannerOver(memory, 0), bytes: new Uint8Array(memory.buffer) };
  } catch {
    return undefined;
  }
})();

/**
 * A scanner for data that lives in `memory` already (the blob pool's arena, arena.ts; its gear table in the 1 KiB
 * at `gearAt`, which is this scanner's alone): findCuts then hashes the bytes where they are, with no copy.
 * Undefined where the module cannot run.
 */
export function arenaScanner(memory: WasmMemory, gearAt: number): ArenaScanner | undefined {
  if (wasmModule === undefined) return undefined;
  try {
    return scannerOver(memory, gearAt);
  } catch {
    return undefined;
  }
}

function loadGear(scanner: ArenaScanner, gear: Uint32Array): void {
  if (scanner.loaded !== gear) {
    scanner.gear.set(gear);
    scanner.loaded = gear;
  }
}

/** Copies data[at, end) into the window, aligned as in its source; returns where it starts there. */
function load(data: Uint8Array, at: number, end: number): number {
  const start = BASE + ((data.byteOffset + at) % ALIGN);
  // `!`: only wasmLoops calls this, which exists only with `wasm`
  wasm!.bytes.set(data.subarray(at, end), start);
  return start;
}

/** The same loops in WebAssembly, over the data copied into the module's window 1 MiB at a time. */
const wasmLoops: Loops | undefined = wasm === undefined ? undefined : {
  roll(data, from, to, hash) {
    let h = hash;
    for (let at = from; at < to; at += WINDOW) {
      const end = Math.min(to, at + WINDOW);
      const start = load(data, at, end);
      h = wasm.roll(start, start + end - at, h, 0);
    }
    return h;
  },
  scan(data, from, to, hash, mask) {
    let h = hash;
    for (let at = from; at < to; at += WINDOW) {
      const end = Math.min(to, at + WINDOW);
      const start = load(data, at, end);
      const p = wasm.scan(start, start + end - at, h, mask, 0) - start + at;
      h = wasm.hash.value;
      if (wasm.found.value === 1) return [p, h, true];
    }
    return [to, h, false];
  },
};

/** The loops over data in the scanner's memory itself (its offsets there are its byteOffset on). */
const inPlaceLoopsOf = new WeakMap<ArenaScanner, Loops>();
function inPlaceLoops(scanner: ArenaScanner): Loops {
  let loops = inPlaceLoopsOf.get(scanner);
  if (loops !== undefined) return loops;
  loops = {
    roll: (data, from, to, hash) => scanner.roll(data.byteOffset + from, data.byteOffset + to, hash, scanner.gearAt),
    scan(data, from, to, hash, mask) {
      const p = scanner.scan(data.byteOffset + from, data.byteOffset + to, hash, mask, scanner.gearAt) - data.byteOffset;
      return [p, scanner.hash.value, scanner.found.value === 1];
    },
  };
  inPlaceLoopsOf.set(scanner, loops);
  return loops;
}

/** findCuts with the loops in JavaScript: the reference the WebAssembly is tested against. */
export function findCutsJs(t: ChunkerTables, state: CutState, data: Uint8Array, cuts: number[]): void {
  findCutsWith(jsLoops(t.gear), t.hard, t.easy, t.minSize, t.avgSize, t.maxSize, state, data, cuts);
}

/**
 * Cut points with the loops in WebAssembly where it runs, else in JavaScript: the same cuts and state. With
 * `scanner` (arenaScanner), `data` must be a view of the scanner's memory: it is hashed where it is.
 */
export function findCuts(t: ChunkerTables, state: CutState, data: Uint8Array, cuts: number[], scanner?: ArenaScanner): void {
  if (scanner !== undefined) {
    loadGear(scanner, t.gear);
    return findCutsWith(inPlaceLoops(scanner), t.hard, t.easy, t.minSize, t.avgSize, t.maxSize, state, data, cuts);
  }
  if (wasmLoops === undefined) return findCutsJs(t, state, data, cuts);
  // `!`: wasmLoops exists only with `wasm`
  loadGear(wasm!, t.gear);
  findCutsWith(wasmLoops, t.hard, t.easy, t.minSize, t.avgSize, t.maxSize, state, data, cuts);
}
