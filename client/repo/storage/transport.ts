// The one transport of object bytes to and from presigned URLs, for the main thread (http-store.ts) and the blob
// workers (direct.js) alike: `exchange` sends one request over node:http/https with the caller's keep-alive agents
// (client/keep-alive.js), its body bytes or a writer that writes it to the request; the answer's body goes into a
// buffer the caller picks for its declared length, or is gathered up to a bound. `getRange` gets a byte range into
// the caller's buffer (from a plain-http URL, the local runtime, through raw-get.js: the kernel writes the body
// there). One attempt each, no retry here: a failure is an answer ({miss, why}), and the caller's store decides
// whether to try again (retry-policy.ts, through http-store.ts). Plain JavaScript so a worker loads it without a
// TypeScript loader. Types: transport.d.ts.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { minorGc } from '../blobs/gc.js';
import { isRange } from './content-range.js';
import { rawGet } from './raw-get.js';

/** Bytes received between two minor collections: the socket's pieces are garbage once copied. */
const GC_BYTES = 4 * 1024 * 1024;

/**
 * Sends one request. `options`: {method, headers, body (bytes, or `(req) => Promise<void>` that writes the body and
 * ends the request), agents ({http, https}), timeoutMs, signal, into (declaredLength) => Buffer | undefined: where a
 * body goes (up to that buffer's length; more is a miss), maxBytes: the bound of a body gathered in pieces}.
 * Resolves {status, headers, body} (body: the bytes received, in `into`'s memory when it gave a buffer), or
 * {miss: reason, why}: why is 'url' (not an http(s) URL), 'network' (no or a broken answer, a timeout, a short
 * body; also when `signal` aborted it) or 'too-long' (a body over its bound). Never rejects.
 */
export function exchange(url, options) {
  let u;
  try {
    u = new URL(url);
  } catch {
    return Promise.resolve({ miss: 'bad url', why: 'url' });
  }
  const secure = u.protocol === 'https:';
  if (!secure && u.protocol !== 'http:') return Promise.resolve({ miss: `not an http url (${u.protocol})`, why: 'url' });
  const { method, headers = {}, body, agents, timeoutMs, signal, into, maxBytes = Infinity } = options;
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
    const req = (secure ? httpsRequest : httpRequest)(u, {
      method, headers, agent: secure ? agents.https : agents.http, timeout: timeoutMs, ...(signal ? { signal } : {}),
    }, (res) => {
      res.setTimeout(timeoutMs, () => res.destroy(new Error('storage stopped sending')));
      const declared = Number(res.headers['content-length']);
      let buf = into?.(Number.isSafeInteger(declared) ? declared : undefined);
      const pieces = [];
      let size = 0;
      let tooLong = false;
      res.on('data', (c) => {
        if (tooLong) return;
        if (size + c.length > (buf !== undefined ? buf.length : maxBytes)) {
          tooLong = true;
          res.destroy();
          return;
        }
        if (buf !== undefined) buf.set(c, size);
        else pieces.push(c);
        if (Math.floor((size + c.length) / GC_BYTES) > Math.floor(size / GC_BYTES)) minorGc();
        size += c.length;
      });
      const end = () => {
        if (tooLong) done({ miss: 'storage answered more than asked for', why: 'too-long' });
        else if (!res.complete) done({ miss: 'storage sent a short body', why: 'network' });
        else done({ status: res.statusCode ?? 0, headers: res.headers, body: buf !== undefined ? buf.subarray(0, size) : Buffer.concat(pieces, size) });
      };
      res.once('error', (e) => (tooLong ? end() : done({ miss: `storage connection failed: ${e.message}`, why: 'network' })));
      res.once('end', end);
      res.once('close', end);
    });
    req.once('timeout', () => req.destroy(new Error('storage did not answer in time')));
    req.once('error', (e) => done({ miss: `cannot reach storage: ${e.message}`, why: 'network' }));
    if (typeof body === 'function') writing = body(req).catch(() => req.destroy(new Error('body failed')));
    else req.end(body);
  });
}

/**
 * GETs bytes [offset, offset + into.length) of the object at `target.url` into `into`. Resolves {ok: true} only
 * for a 206 naming exactly that range (one Content-Range parser: content-range.js) with exactly that many bytes;
 * else {miss}.
 */
export async function getRange(target, offset, into, agents, timeoutMs) {
  // plain http (the local runtime): the body goes from the socket straight into `into` (raw-get.js)
  if (target.url.startsWith('http:')) return rawGet(target, offset, into, timeoutMs);
  const a = await exchange(target.url, {
    method: 'GET', headers: { range: `bytes=${offset}-${offset + into.length - 1}` }, agents, timeoutMs, into: () => into,
  });
  if (a.miss !== undefined) return { miss: a.miss };
  if (a.status !== 206) return { miss: `storage answered ${a.status}` };
  if (!isRange(a.headers['content-range'], offset, into.length) || a.body.length !== into.length) return { miss: 'another range than asked for' };
  return { ok: true };
}
