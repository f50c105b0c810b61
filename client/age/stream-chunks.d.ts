// Types of stream-chunks.js (the age STREAM batch sealer/opener shared by the main thread and chunk workers).

export declare const CHUNK_SIZE: number;
export declare const TAG_SIZE: number;
export declare const SEALED_CHUNK_SIZE: number;

/** Seals in place; returns the sealed length. */
export declare function sealChunks(key: Uint8Array, counter: number, batch: Uint8Array, length: number, final: boolean): number;

export interface OpenedChunks {
  /** Bytes of authenticated plaintext now at the start of the batch. */
  length: number;
  /** Chunks that authenticated. */
  chunks: number;
  error: string | undefined;
}

/** Opens in place. */
export declare function openChunks(key: Uint8Array, counter: number, batch: Uint8Array, length: number, final: boolean): OpenedChunks;
