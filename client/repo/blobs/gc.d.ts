// Types of gc.js.

/** Runs a minor GC now (a no-op when V8 does not allow it). */
export declare function minorGc(): void;
export declare function keepFreedMemory(): void;
/** Once the young generation's semispaces reached `semiBytes`, V8 grows them no more (process-wide). */
export declare function capYoungGeneration(semiBytes: number): void;
