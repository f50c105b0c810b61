// Worker thread of the chunk pool (chunk-pool.ts): seals or opens one batch of age STREAM chunks per message and
// transfers the output buffers node:crypto made, and the batch (for reuse), back without copying. Plain
// JavaScript so a worker loads it without a TypeScript loader.

import { parentPort } from 'node:worker_threads';
import { openChunks, sealChunks } from './stream-chunks.js';

/** The ArrayBuffer of `b` if `b` owns all of it (then it can move), else a copy that does. */
function movable(b) {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : new Uint8Array(b).buffer;
}

parentPort.on('message', (task) => {
  const batch = new Uint8Array(task.batch);
  try {
    const r = task.op === 'seal'
      ? { outs: sealChunks(task.key, task.counter, batch, task.length, task.final), error: undefined }
      : openChunks(task.key, task.counter, batch, task.length, task.final);
    const outs = r.outs.map(movable);
    parentPort.postMessage({ id: task.id, batch: task.batch, outs, error: r.error }, [task.batch, ...outs]);
  } catch (e) {
    parentPort.postMessage({ id: task.id, batch: task.batch, fault: e instanceof Error ? e.message : String(e) }, [task.batch]);
  }
});
parentPort.postMessage({ ready: true });
