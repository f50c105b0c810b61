// Types of cut-points.js (the chunker's cut-point loop shared by the main thread and blob workers).

export interface CutState {
  hash: number;
  length: number;
}

export declare function findCuts(
  gear: Uint32Array, hard: number, easy: number, minSize: number, avgSize: number, maxSize: number,
  state: CutState, data: Uint8Array, cuts: number[],
): void;

export declare function topMask(bits: number): number;

/** The same algorithm in JavaScript (the reference findCuts is tested against). */
export declare function findCutsJs(
  gear: Uint32Array, hard: number, easy: number, minSize: number, avgSize: number, maxSize: number,
  state: CutState, data: Uint8Array, cuts: number[],
): void;
