// Types of cut-points.js (the chunker's cut-point loop shared by the main thread and blob workers).

export interface CutState {
  hash: number;
  length: number;
}

/** A chunker scanner over a shared memory that data already lives in (arenaScanner). */
export interface ArenaScanner {
  readonly gearAt: number;
}

export declare function findCuts(
  gear: Uint32Array, hard: number, easy: number, minSize: number, avgSize: number, maxSize: number,
  state: CutState, data: Uint8Array, cuts: number[], scanner?: ArenaScanner,
): void;

/** A scanner over `memory` with its gear table in the 1 KiB at `gearAt`; undefined where WebAssembly cannot run. */
export declare function arenaScanner(memory: unknown, gearAt: number): ArenaScanner | undefined;

export declare function topMask(bits: number): number;

/** The same algorithm in JavaScript (the reference findCuts is tested against). */
export declare function findCutsJs(
  gear: Uint32Array, hard: number, easy: number, minSize: number, avgSize: number, maxSize: number,
  state: CutState, data: Uint8Array, cuts: number[],
): void;
