// Worker thread of the chunk pool (chunk-pool.ts): seals or opens one batch of age STREAM chunks per message
// and transfers the result back. Plain JavaScript so a worker loads it without a TypeScript loader.

import { parentPort } from 'node:worker_threads';
import { openChunks, sealChunks } from './stream-chunks.js';

parentPort.on('message', (task) => {
  try {
    const data = new Uint8Array(task.data);
    if (task.op === 'seal') {
      const out = sealChunks(task.key, task.counter, data, task.final);
      parentPort.postMessage({ id: task.id, out: out.buffer, error: undefined }, [out.buffer]);
    } else {
      const r = openChunks(task.key, task.counter, data, task.final);
      const out = r.plaintext.buffer;
      parentPort.postMessage({ id: task.id, out, length: r.plaintext.length, chunks: r.chunks, error: r.error }, [out]);
    }
  } catch (e) {
    parentPort.postMessage({ id: task.id, fault: e instanceof Error ? e.message : String(e) });
  }
});
parentPort.postMessage({ ready: true });
