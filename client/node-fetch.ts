// A minimal `fetch` over node:http/https for the small JSON calls of the storage and vault APIs, for programs
// that care about memory (the `bkv` CLI): Node's built-in fetch loads undici and web streams on first use, ~15 MiB
// of RSS. Supports what ApiClient needs: method, headers, a string body; answers with status, ok, headers.get,
// text() and json(). Bodies are capped at 1 MiB (API answers are small). Connections are kept alive by
// keep-alive.ts's rule (never reused after the server may have closed them); a request of an idempotent method
// (RFC 9110 §9.2.2) that fails on a kept-alive connection before any byte of an answer is sent again on a new
// one. Other methods are not: a POST may have been acted on (a counted login start); their callers decide
// (client/repo/storage/http-store.ts retries the repository's retry-safe calls).

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { keepAliveAgents, staleReuse } from './keep-alive.js';

const MAX_ANSWER_BYTES = 1024 * 1024;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** Sends of one request on kept-alive connections that failed before an answer, at most (then it fails). */
const MAX_STALE = 4;
const agents = keepAliveAgents({ maxSockets: 16 });

/** A failure on a kept-alive connection before any byte of an answer. */
class StaleConnection extends Error {}

interface MiniResponse {
  ok: boolean;
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

function miniFetch(input: string | URL | Request, init: RequestInit = {}): Promise<MiniResponse> {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') return Promise.reject(new TypeError(`unsupported url scheme ${url.protocol}`));
  const headers: Record<string, string> = {};
  const given = init.headers ?? {};
  if (Array.isArray(given) || typeof (given as Headers).forEach === 'function') {
    return Promise.reject(new TypeError('only plain-object headers are supported'));
  }
  for (const [k, v] of Object.entries(given as Record<string, string>)) headers[k.toLowerCase()] = v;
  const body = typeof init.body === 'string' ? Buffer.from(init.body) : undefined;
  if (init.body !== undefined && init.body !== null && body === undefined) return Promise.reject(new TypeError('only string bodies are supported'));
  if (body) headers['content-length'] = String(body.length);
  const method = (init.method ?? 'GET').toUpperCase();
  const once = (): Promise<MiniResponse> => send(url, secure, method, headers, body, init.signal ?? undefined);
  const attempt = async (n: number): Promise<MiniResponse> => {
    try {
      return await once();
    } catch (e) {
      if (!(e instanceof StaleConnection)) throw e;
      if (!IDEMPOTENT.has(method) || n >= MAX_STALE) throw e.cause;
      return attempt(n + 1);
    }
  };
  return attempt(1);
}

function send(url: URL, secure: boolean, method: string, headers: Record<string, string>, body: Buffer | undefined, signal: AbortSignal | undefined): Promise<MiniResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = (secure ? httpsRequest : httpRequest)(url, {
      method, headers, timeout: 60_000, agent: secure ? agents.https : agents.http, ...(signal ? { signal } : {}),
    }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) res.destroy(new Error('answer too large'));
        else chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        resolve({
          ok: status >= 200 && status < 300,
          status,
          headers: { get: (name) => {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          } },
          text: async () => bytes.toString('utf8'),
          json: async () => JSON.parse(bytes.toString('utf8')) as unknown,
          arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error('server did not answer in time')));
    req.on('error', (e) => reject(staleReuse(req, answered, e) && !signal?.aborted ? new StaleConnection(e.message, { cause: e }) : e));
    req.end(body);
  });
}

/** `miniFetch` typed as `fetch` for the clients' `fetch` option (only the subset above is implemented). */
export const nodeFetch = miniFetch as unknown as typeof fetch;
