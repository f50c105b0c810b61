// Types of stream-chunks.js (the age STREAM batch sealer/opener shared by the main thread and chunk workers).

import type { KeyObject } from 'node:crypto';

export declare const CHUNK_SIZE: number;
export declare const TAG_SIZE: number;
export declare const SEALED_CHUNK_SIZE: number;

/** Seals a batch; returns [ciphertext 0, tag 0, ciphertext 1, tag 1, …]. The batch is only read. */
export declare function sealChunks(key: Uint8Array | KeyObject, counter: number, batch: Uint8Array, length: number, final: boolean): Buffer[];

export interface OpenedChunks {
  /** Plaintext of each chunk that authenticated, in order, up to the first failure. */
  outs: Buffer[];
  chunks: number;
  error: string | undefined;
}

/** Opens a batch; the batch is only read. */
export declare function openChunks(key: Uint8Array | KeyObject, counter: number, batch: Uint8Array, length: number, final: boolean): OpenedChunks;
