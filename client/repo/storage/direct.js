// Direct transfers of pack bodies between a blob worker and the storage's presigned URLs (blob-pool.ts
// `sealPut`, `getOpen`), so that the bytes of a backup or restore never pass through the main thread: its big
// heap then never has to be collected for them. One attempt each, over node:http/https with this thread's
// keep-alive agents (client/keep-alive.js). Anything but the exact expected answer is reported as a `miss` and not retried here: the
// main thread then does the same transfer through its store (http-store.ts), whose retry, URL-renewal and error
// rules apply. A GET from a plain-http URL (the local runtime) goes through raw-get.js, which has the kernel write
// the body straight into the receive buffer. Plain JavaScript so a worker loads it without a TypeScript loader.
// Types: direct.d.ts.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { keepAliveAgents } from '../../keep-alive.js';
import { sealedPieces } from '../blobs/blob-ops.js';
import { minorGc } from '../blobs/gc.js';
import { isRange, rawGet } from './raw-get.js';

const GC_BYTES = 4 * 1024 * 1024;
// idle connections are never reused after the storage may have closed them (keep-alive.js)
const agents = keepAliveAgents({ maxSockets: 4 });

/**
 * Sends one request; `body` is bytes, or a function that writes the body to the request and ends it. `into` (a
 * Buffer) receives a response body of up to its length; any other body is drained. Resolves {status, headers,
 * size} (size: body bytes received into `into`), or {miss} on a network failure, a timeout or a body that does
 * not fit.
 */
function send(target, method, headers, body, into, timeoutMs) {
  let u;
  try {
    u = new URL(target.url);
  } catch {
    return Promise.resolve({ miss: 'bad url' });
  }
  const secure = u.protocol === 'https:';
  if (!secure && u.protocol !== 'http:') return Promise.resolve({ miss: 'not an http url' });
  return new Promise((resolve) => {
    let settled = false;
    let writing = Promise.resolve();
    // the answer is given once the body writer has stopped (it reads the caller's memory until then)
    const done = (v) => {
      if (settled) return;
      settled = true;
      if (!req.writableFinished && v.status !== 200) req.destroy();
      void writing.then(() => resolve(v));
    };
    const req = (secure ? httpsRequest : httpRequest)(u, { method, headers, agent: secure ? agents.https : agents.http, timeout: timeoutMs }, (res) => {
      res.setTimeout(timeoutMs, () => res.destroy(new Error('storage stopped sending')));
      let size = 0;
      let overflow = false;
      res.on('data', (c) => {
        if (into === undefined || overflow) return;
        if (size + c.length > into.length) {
          overflow = true;
          return;
        }
        into.set(c, size);
        // the socket's pieces are garbage once copied: collected every 4 MiB
        if (Math.floor((size + c.length) / GC_BYTES) > Math.floor(size / GC_BYTES)) minorGc();
        size += c.length;
      });
      res.once('error', () => done({ miss: 'connection failed' }));
      res.once('end', () => {
        if (!res.complete) done({ miss: 'short body' });
        else if (overflow) done({ miss: 'body too long' });
        else done({ status: res.statusCode ?? 0, headers: res.headers, size });
      });
    });
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', () => done({ miss: 'cannot reach storage' }));
    if (typeof body === 'function') writing = body(req).catch(() => req.destroy(new Error('body failed')));
    else req.end(body);
  });
}

/**
 * Seals a pack (blob-ops.js sealedPieces: `task`) straight into a PUT to a presigned upload (`target`: url and
 * headers, signed for the sealed size): no sealed copy of the pack is ever held, only what the socket has not
 * taken yet. Resolves {ok: true} or {miss}.
 */
function drainOrClose(req) {
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

export async function putSealed(target, task, timeoutMs) {
  const write = async (req) => {
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
  const a = await send(target, 'PUT', target.headers ?? {}, write, undefined, timeoutMs);
  if (a.miss !== undefined) return a;
  return a.status === 200 ? { ok: true } : { miss: `storage answered ${a.status}` };
}

/**
 * GETs bytes [offset, offset + length) of the object at a presigned download URL into `into` (at least `length`
 * long). Resolves {ok: true} only for a 206 naming exactly that range with exactly that many bytes; else {miss}.
 */
export async function getDirect(target, offset, length, into, timeoutMs) {
  // plain http (the local runtime): the body goes from the socket straight into `into` (raw-get.js)
  if (target.url.startsWith('http:')) return rawGet(target, offset, into.subarray(0, length), timeoutMs);
  const a = await send(target, 'GET', { range: `bytes=${offset}-${offset + length - 1}` }, undefined, into.subarray(0, length), timeoutMs);
  if (a.miss !== undefined) return a;
  if (a.status !== 206) return { miss: `storage answered ${a.status}` };
  if (!isRange(a.headers['content-range'], offset, length) || a.size !== length) return { miss: 'another range than asked for' };
  return { ok: true };
}
