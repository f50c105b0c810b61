// The one transport of object bytes to and from presigned URLs, for the main thread (http-store.ts) and the blob
// workers (direct.ts) alike: `exchange` sends one request over node:http/https with the caller's keep-alive agents
// (client/keep-alive.ts), its body bytes or a writer that writes it to the request; the answer's body goes into a
// buffer the caller picks for its declared length, or is gathered up to a bound. `getRange` gets a byte range into
// the caller's buffer (from a plain-http URL, the local runtime, through raw-get.ts: the kernel writes the body
// there). One attempt each, no retry here: a failure is an answer ({miss, why}), and the caller's store decides
// whether to try again (retry-policy.ts, through http-store.ts). A blob worker loads it as part of its script
// (client/worker-script.ts: its bundle in the CLI, under tsx from source).

import { request as httpRequest, type Agent as HttpAgent, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { minorGc } from '../../../runtime/gc.js';
import { isRange } from './content-range.js';
import { rawGet } from './raw-get.js';
import type { DirectRequest } from './store.js';

/** The keep-alive agents a request goes out with (client/keep-alive.ts keepAliveAgents). */
export interface Agents {
  http: HttpAgent;
  https: HttpsAgent;
}

export interface ExchangeOptions {
  method: 'GET' | 'PUT';
  headers?: Record<string, string>;
  /** The body's bytes, or a writer that writes the body to the request and ends it. */
  body?: Uint8Array | ((req: ClientRequest) => Promise<void>);
  agents: Agents;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Where a body of this declared length goes (up to the buffer's length); undefined: gathered in pieces. */
  into?: (declaredLength: number | undefined) => Buffer | undefined;
  /** The bound of a body gathered in pieces. */
  maxBytes?: number;
}

/** Why an exchange had no usable answer: not an http(s) URL, no or a broken answer, a body over its bound. */
export type MissReason = 'url' | 'network' | 'too-long';

/** What one exchange came to: an answer (any status), or a miss. */
export type Exchanged =
  | { status: number; headers: IncomingHttpHeaders; body: Buffer; miss?: undefined; why?: undefined }
  | { miss: string; why: MissReason; status?: undefined; headers?: undefined; body?: undefined };

/** What a transfer into or out of a caller's buffer came to (getRange, raw-get.ts, direct.ts). */
export type Transferred = { ok: true; miss?: undefined } | { ok?: undefined; miss: string };

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
export function exchange(url: string, options: ExchangeOptions): Promise<Exchanged> {
  let u: URL;
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
    let writing: Promise<unknown> = Promise.resolve();
    // the answer is given once the body writer has stopped (it reads the caller's memory until then)
    const done = (v: Exchanged): void => {
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
      const buf = into?.(Number.isSafeInteger(declared) ? declared : undefined);
      const pieces: Buffer[] = [];
      let size = 0;
      let tooLong = false;
      res.on('data', (c: Buffer) => {
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
      const end = (): void => {
        if (tooLong) done({ miss: 'storage answered more than asked for', why: 'too-long' });
        else if (!res.complete) done({ miss: 'storage sent a short body', why: 'network' });
        else done({ status: res.statusCode ?? 0, headers: res.headers, body: buf !== undefined ? buf.subarray(0, size) : Buffer.concat(pieces, size) });
      };
      res.once('error', (e: Error) => (tooLong ? end() : done({ miss: `storage connection failed: ${e.message}`, why: 'network' })));
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
 * for a 206 naming exactly that range (one Content-Range parser: content-range.ts) with exactly that many bytes;
 * else {miss}.
 */
export async function getRange(target: DirectRequest, offset: number, into: Buffer, agents: Agents, timeoutMs: number): Promise<Transferred> {
  // plain http (the local runtime): the body goes from the socket straight into `into` (raw-get.ts)
  if (target.url.startsWith('http:')) return rawGet(target, offset, into, timeoutMs);
  const a = await exchange(target.url, {
    method: 'GET', headers: { range: `bytes=${offset}-${offset + into.length - 1}` }, agents, timeoutMs, into: () => into,
  });
  if (a.miss !== undefined) return { miss: a.miss };
  if (a.status !== 206) return { miss: `storage answered ${a.status}` };
  if (!isRange(a.headers['content-range'], offset, into.length) || a.body.length !== into.length) return { miss: 'another range than asked for' };
  return { ok: true };
}
