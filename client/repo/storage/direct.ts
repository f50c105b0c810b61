// Direct transfers of pack bodies between a blob worker and the storage's presigned URLs (blob-pool.ts
// `sealPut`, `getOpen`), so that the bytes of a backup or restore never pass through the main thread: its big
// heap then never has to be collected for them. One attempt each, through the one transport (transport.ts) with this
// thread's keep-alive agents. Anything but the exact expected answer is reported as a `miss` and not retried here:
// the main thread then does the same transfer through its store (http-store.ts), whose retry, URL-renewal and error
// rules apply, to the same upload URL (its bytes are reserved of the quota once). Part of the blob worker's script
// (client/worker-script.ts: its bundle in the CLI, under tsx from source).

import type { ClientRequest } from 'node:http';
import { keepAliveAgents } from '../../keep-alive.js';
import { type SealTask, sealedPieces } from '../blobs/blob-ops.js';
import { minorGc } from '../../../runtime/gc.js';
import type { DirectRequest } from './store.js';
import { exchange, getRange, type Transferred } from './transport.js';

// idle connections are never reused after the storage may have closed them (keep-alive.ts)
const agents = keepAliveAgents({ maxSockets: 4 });

/** Resolves when `req` takes more bytes again, or has closed. */
function drainOrClose(req: ClientRequest): Promise<void> {
  return new Promise((resolve) => {
    const go = () => {
      req.off('drain', go);
      req.off('close', go);
      resolve();
    };
    req.on('drain', go);
    req.on('close', go);
  });
}

/**
 * Seals a pack (sealedPieces of the blob worker's operations, blobs/blob-ops: `task`) straight into a PUT to a
 * presigned upload (`target`: url and headers, signed for the sealed size): no sealed copy of the pack is ever
 * held, only what the socket has not taken yet. Resolves {ok: true} or {miss}.
 */
export async function putSealed(target: DirectRequest, task: SealTask, timeoutMs: number): Promise<Transferred> {
  const write = async (req: ClientRequest): Promise<void> => {
    let n = 0;
    for (const piece of sealedPieces(task)) {
      if (req.destroyed) return;
      req.cork();
      let room = true;
      for (const o of piece) room = req.write(o);
      req.uncork();
      if (!room) await drainOrClose(req);
      // the cipher's output buffers of the pieces the socket took are garbage: collected every 4 MiB
      if (++n % 4 === 0) minorGc();
    }
    req.end();
  };
  const a = await exchange(target.url, { method: 'PUT', headers: target.headers ?? {}, body: write, agents, timeoutMs, maxBytes: 64 * 1024 });
  if (a.miss !== undefined) return { miss: a.miss };
  return a.status === 200 ? { ok: true } : { miss: `storage answered ${a.status}` };
}

/**
 * GETs bytes [offset, offset + length) of the object at a presigned download URL into `into` (at least `length`
 * long). Resolves {ok: true} only for a 206 naming exactly that range with exactly that many bytes; else {miss}.
 */
export function getDirect(target: DirectRequest, offset: number, length: number, into: Buffer, timeoutMs: number): Promise<Transferred> {
  return getRange(target, offset, into.subarray(0, length), agents, timeoutMs);
}
