// A minimal `fetch` over node:http/https for the small JSON calls of the storage and vault APIs, for programs
// that care about memory (the `bkv` CLI): Node's built-in fetch loads undici and web streams on first use, ~15 MiB
// of RSS. Supports what ApiClient needs: method, headers, a string body; answers with status, ok, headers.get,
// text() and json(). Bodies are capped at 1 MiB (API answers are small).

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

const MAX_ANSWER_BYTES = 1024 * 1024;

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
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(url, {
      method: init.method ?? 'GET', headers, timeout: 60_000, ...(init.signal ? { signal: init.signal } : {}),
    }, (res) => {
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
    req.on('error', reject);
    req.end(body);
  });
}

/** `miniFetch` typed as `fetch` for the clients' `fetch` option (only the subset above is implemented). */
export const nodeFetch = miniFetch as unknown as typeof fetch;
