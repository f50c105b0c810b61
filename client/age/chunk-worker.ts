// Worker thread of the chunk pool (chunk-pool.ts): seals or opens one batch of age STREAM chunks per task. The
// batch is read from a SharedArrayBuffer owned by the stream; the output buffers node:crypto returns are
// transferred back as they are (their memory moves to the stream's thread, nothing is copied). Tasks and
// results travel on the MessagePort in workerData, which the pool can also drain synchronously. Plain
// JavaScript so a worker loads it without a TypeScript loader.

import { workerData } from 'node:worker_threads';
import { openChunks, sealChunks } from './stream-chunks.js';

/** @type {import('node:worker_threads').MessagePort} */
const port = workerData.port;

/** The ArrayBuffers to transfer for `outs`: a buffer's own memory when it is the whole of it, else a copy. */
function transferable(outs) {
  const seen = new Set();
  return outs.map((b) => {
    const whole = b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer && !seen.has(b.buffer);
    const ab = whole ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    seen.add(ab);
    return ab;
  });
}

port.on('message', (t) => {
  try {
    const input = new Uint8Array(t.sab, t.at, t.length);
    const r = t.op === 'seal'
      ? { outs: sealChunks(t.key, t.counter, input, t.length, t.final), error: undefined }
      : openChunks(t.key, t.counter, input, t.length, t.final);
    const outs = transferable(r.outs);
    port.postMessage({ id: t.id, outs, error: r.error }, outs);
  } catch (e) {
    port.postMessage({ id: t.id, fault: e instanceof Error ? e.message : String(e) });
  }
});
