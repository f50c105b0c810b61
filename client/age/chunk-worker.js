// Worker thread of the chunk pool (chunk-pool.ts): seals or opens one batch of age STREAM chunks in place per
// message and transfers the batch back. Plain JavaScript so a worker loads it without a TypeScript loader.

import { parentPort } from 'node:worker_threads';
import { openChunks, sealChunks } from './stream-chunks.js';

parentPort.on('message', (task) => {
  const batch = new Uint8Array(task.batch);
  try {
    const r = task.op === 'seal'
      ? { length: sealChunks(task.key, task.counter, batch, task.length, task.final), error: undefined }
      : openChunks(task.key, task.counter, batch, task.length, task.final);
    parentPort.postMessage({ id: task.id, batch: task.batch, length: r.length, error: r.error }, [task.batch]);
  } catch (e) {
    parentPort.postMessage({ id: task.id, fault: e instanceof Error ? e.message : String(e) });
  }
});
parentPort.postMessage({ ready: true });
