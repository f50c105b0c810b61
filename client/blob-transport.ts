// How BackupsClient moves bytes to and from presigned URLs. The default is node:http/https with a keep-alive
// agent: a part's buffer is written to the socket as it is (fetch/undici copies every request body, which costs
// a part's size per PUT in flight and was ~120 MiB more peak RSS for a 4-part-wide upload), and a stalled
// socket times out instead of hanging. A fetch-based transport exists for tests and non-Node runtimes.

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface PutResult {
  status: number;
  etag: string | null;
}

export interface GetResult {
  status: number;
  /** The body; must be consumed or discarded. */
  body: AsyncIterable<Uint8Array>;
  discard(): void;
}

export interface BlobTransport {
  put(url: string, body: Uint8Array, signal: AbortSignal): Promise<PutResult>;
  get(url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<GetResult>;
  /** Releases idle connections. */
  close(): void;
}

export interface HttpTransportOptions {
  /** Idle socket timeout in ms before a request fails (and is retried); default 60 s. */
  idleTimeoutMs?: number;
  maxSockets?: number;
}

export function httpTransport(options: HttpTransportOptions = {}): BlobTransport {
  const timeout = options.idleTimeoutMs ?? 60_000;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 8 };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);

  function send(url: string, method: string, headers: Record<string, string | number>, body: Uint8Array | undefined, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    const u = new URL(url);
    const secure = u.protocol === 'https:';
    if (!secure && u.protocol !== 'http:') return Promise.reject(new TypeError(`unsupported url scheme ${u.protocol}`));
    return new Promise((resolve, reject) => {
      const req = (secure ? httpsRequest : httpRequest)(u, {
        method, headers, agent: secure ? https : http, timeout, ...(signal ? { signal } : {}),
      }, (res) => {
        res.setTimeout(timeout, () => res.destroy(new Error('storage stopped sending')));
        resolve(res);
      });
      req.on('timeout', () => req.destroy(new Error('storage did not answer in time')));
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    async put(url, body, signal) {
      const res = await send(url, 'PUT', { 'content-length': body.byteLength }, body, signal);
      await new Promise<void>((resolve, reject) => {
        res.on('error', reject);
        res.on('end', resolve);
        res.resume();
      });
      const etag = res.headers.etag;
      return { status: res.statusCode ?? 0, etag: typeof etag === 'string' ? etag : null };
    },
    async get(url, headers, signal) {
      const res = await send(url, 'GET', headers, undefined, signal);
      return { status: res.statusCode ?? 0, body: res, discard: () => res.resume() };
    },
    close() {
      http.destroy();
      https.destroy();
    },
  };
}

export function fetchTransport(fetchImpl: typeof fetch): BlobTransport {
  return {
    async put(url, body, signal) {
      const res = await fetchImpl(url, { method: 'PUT', body, signal });
      await res.arrayBuffer().catch(() => undefined);
      return { status: res.status, etag: res.headers.get('etag') };
    },
    async get(url, headers, signal) {
      const res = await fetchImpl(url, { headers, ...(signal ? { signal } : {}) });
      const empty = (async function* () {})();
      return {
        status: res.status,
        body: res.body ? (res.body as unknown as AsyncIterable<Uint8Array>) : empty,
        discard: () => void res.body?.cancel().catch(() => undefined),
      };
    },
    close() {},
  };
}
