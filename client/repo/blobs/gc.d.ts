// Types of gc.js.

/** Opt-in for a process of bkv's own: on-demand minor GCs (V8's --expose-gc) and the glibc tuning. */
export declare function tuneThisProcess(): void;
/** Whether this thread opted in. */
export declare function processTuned(): boolean;
/** Runs a minor GC now (a no-op when V8 does not allow it). */
export declare function minorGc(): void;
/** Once per process, after tuneThisProcess: keeps glibc from trimming freed memory (one 31 MiB buffer). */
export declare function keepFreedMemory(): void;
/** Once the young generation's semispaces reached `semiBytes`, V8 grows them no more (process-wide). */
export declare function capYoungGeneration(semiBytes: number): void;
