// Worker thread of the chunk pool (chunk-pool.ts): seals or opens one batch of age STREAM chunks per task. The
// batch is read from a SharedArrayBuffer owned by the stream; the output buffers node:crypto returns are
// transferred back as they are (their memory moves to the stream's thread, nothing is copied). Tasks and
// results travel on the MessagePort in workerData, which the pool can also drain synchronously. Its messages are
// typed here (ChunkTaskMessage in, ChunkReply out) and the pool uses the same types. Started through
// client/worker-script.ts: in the CLI bundle as a bundle of its own (scripts/build-cli.mjs), from source as this
// TypeScript under tsx's loader registered in the worker.

import { type MessagePort, workerData } from 'node:worker_threads';
import { openChunks, sealChunks } from './stream-chunks.js';

/** One batch to seal or open. */
export interface ChunkTask {
  op: 'seal' | 'open';
  key: Uint8Array;
  counter: number;
  /** The stream's shared memory: `length` input bytes at `at`. Only read by the worker. */
  sab: SharedArrayBuffer;
  at: number;
  length: number;
  final: boolean;
}

/** A task as the pool posts it: `id` names the reply. */
export interface ChunkTaskMessage extends ChunkTask {
  id: number;
}

/**
 * The reply to task `id`: the output buffers in stream order (sealing: ciphertext, tag, …; opening: the plaintexts
 * of the chunks that authenticated), transferred, with `error` when a chunk did not open; or `fault`, the message
 * of what the task threw.
 */
export type ChunkReply =
  | { id: number; outs: ArrayBuffer[]; error: string | undefined; fault?: undefined }
  | { id: number; fault: string; outs?: undefined; error?: undefined };

/** What the pool starts a worker with: the port tasks and replies travel on. */
export interface ChunkWorkerData {
  port: MessagePort;
}

const port: MessagePort = (workerData as ChunkWorkerData).port;

/** The ArrayBuffers to transfer for `outs`: a buffer's own memory when it is the whole of it, else a copy. */
function transferable(outs: Buffer[]): ArrayBuffer[] {
  const seen = new Set<ArrayBufferLike>();
  return outs.map((b) => {
    const whole = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer && !seen.has(b.buffer);
    // (node:crypto's outputs are never shared memory: the copy of one is an ArrayBuffer)
    const ab = (whole ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) as ArrayBuffer;
    seen.add(ab);
    return ab;
  });
}

port.on('message', (t: ChunkTaskMessage) => {
  try {
    const input = new Uint8Array(t.sab, t.at, t.length);
    const r = t.op === 'seal'
      ? { outs: sealChunks(t.key, t.counter, input, t.length, t.final), error: undefined }
      : openChunks(t.key, t.counter, input, t.length, t.final);
    const outs = transferable(r.outs);
    port.postMessage({ id: t.id, outs, error: r.error } satisfies ChunkReply, outs);
  } catch (e) {
    port.postMessage({ id: t.id, fault: e instanceof Error ? e.message : String(e) } satisfies ChunkReply);
  }
});
