// Worker thread of the blob pool (blob-pool.ts): runs one blob-ops.js task per message and sends the result
// back with its big buffers transferred (the input buffer of a chunk task goes back to its owner too). Plain
// JavaScript so a worker loads it without a TypeScript loader.

import { parentPort } from 'node:worker_threads';
import { chunkSegments, openBlobs, sealObject } from './blob-ops.js';
import { minorGc } from './gc.js';

function whole(b) {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
}

// A seal or open task leaves ~16 MiB of node:crypto output buffers behind as garbage: collected at once (gc.js).
parentPort.on('message', (m) => {
  try {
    if (m.op === 'chunk') {
      const segments = chunkSegments(m.task);
      const transfer = [m.task.buf];
      for (const s of segments) for (const c of s.chunks) if (c.z !== undefined) { c.z = new Uint8Array(whole(c.z)); transfer.push(c.z.buffer); }
      parentPort.postMessage({ id: m.id, result: { segments, buf: m.task.buf } }, transfer);
    } else if (m.op === 'seal') {
      const sealed = sealObject(m.task);
      const file = sealed.byteOffset === 0 ? sealed.buffer : whole(sealed);
      parentPort.postMessage({ id: m.id, result: { file, size: sealed.byteLength, buf: m.task.buf } }, [file, m.task.buf]);
    } else {
      const r = openBlobs(m.task);
      const plain = r.plain.length === 0 ? new ArrayBuffer(0) : whole(r.plain);
      // the sealed input goes back too, for its owner to reuse (fresh pages cost page faults)
      const transfer = plain.byteLength > 0 ? [plain, m.task.buf] : [m.task.buf];
      parentPort.postMessage({ id: m.id, result: { plain, at: r.at, buf: m.task.buf } }, transfer);
    }
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
  if (m.op !== 'chunk') minorGc();
});
