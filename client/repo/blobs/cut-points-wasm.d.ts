// Types of cut-points-wasm.js (generated).
export declare const CUT_POINTS_WASM: string;
