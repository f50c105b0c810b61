// Worker thread of the chunk pool (chunk-pool.ts): seals or opens one batch of age STREAM chunks per message.
// The batch is read from, and the output written to, a SharedArrayBuffer owned by the stream (no transfers, no
// allocations on the way back); only a short reply is posted. Plain JavaScript so a worker loads it without a
// TypeScript loader.

import { parentPort } from 'node:worker_threads';
import { openChunks, sealChunks } from './stream-chunks.js';

parentPort.on('message', (t) => {
  try {
    const input = new Uint8Array(t.sab, t.inAt, t.length);
    const out = new Uint8Array(t.sab, t.outAt, t.outCapacity);
    const r = t.op === 'seal'
      ? { outs: sealChunks(t.key, t.counter, input, t.length, t.final), chunks: 0, error: undefined }
      : openChunks(t.key, t.counter, input, t.length, t.final);
    let o = 0;
    for (const b of r.outs) {
      out.set(b, o);
      o += b.length;
    }
    parentPort.postMessage({ id: t.id, length: o, error: r.error });
  } catch (e) {
    parentPort.postMessage({ id: t.id, fault: e instanceof Error ? e.message : String(e) });
  }
});
parentPort.postMessage({ ready: true });
