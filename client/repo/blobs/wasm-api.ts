// The parts of the WebAssembly JavaScript API that arena.ts and cut-points.ts use, as types only. Node has the
// API; @types/node 20 declares no types for it (TypeScript's are in lib.dom, which this project does not load),
// so each of those files declares the global `WebAssembly` with this type (erased: nothing is emitted).

/** A WebAssembly.Memory; a shared one's buffer is a SharedArrayBuffer. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** A compiled WebAssembly.Module (opaque). */
export interface WasmModule {
  readonly __wasmModule?: never;
}

/** An exported mutable i32 WebAssembly.Global. */
export interface WasmGlobal {
  value: number;
}

export interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { readonly exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
