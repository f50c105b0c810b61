// Types of stream-chunks.js (the age STREAM batch sealer/opener shared by the main thread and chunk workers).

export declare const CHUNK_SIZE: number;
export declare const TAG_SIZE: number;
export declare const SEALED_CHUNK_SIZE: number;

export declare function sealChunks(key: Uint8Array, counter: number, plaintext: Uint8Array, final: boolean): Buffer;

export interface OpenedChunks {
  /** Plaintext of the chunks that authenticated, in order, before any failure. */
  plaintext: Buffer;
  chunks: number;
  error: string | undefined;
}

export declare function openChunks(key: Uint8Array, counter: number, ciphertext: Uint8Array, final: boolean): OpenedChunks;
