// BackupsClient: the storage API (docs/protocol.md "Storage API") from the client side. Uploads an age byte
// stream of known length through presigned part URLs (parallel PUTs, each retried with backoff, bounded memory),
// commits it, lists, downloads as a stream (resuming with Range requests after a dropped connection) and deletes.
// Bytes never pass through the API: only the presigned URLs see them, and they are ciphertext. The bytes travel
// over a BlobTransport (node:http by default, see blob-transport.ts; fetch when `fetch` is given).

import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { ClientError, hostOf } from './errors.js';
import {
  CompleteBackupResponse, CreateBackupResponse, GetBackupResponse, LATEST, ListBackupsResponse, partCountFor,
  type BackupInfo, type GetBackupResult,
} from '../protocol/backups-schemas.js';
import { fetchTransport, httpTransport, type BlobTransport } from './blob-transport.js';
import { ApiClient, type ApiOptions } from './http.js';

export interface Progress {
  /** Bytes uploaded (parts acknowledged) or downloaded so far. */
  done: number;
  total: number;
}
export type ProgressListener = (p: Progress) => void;

export interface BackupsClientOptions extends ApiOptions {
  /** Moves the bytes to and from presigned URLs; default: node:http(s), or fetch when `fetch` is given. */
  transport?: BlobTransport;
  /** Parts uploaded at once; default: as many parts as fit in `memoryBudget`, between 1 and 4. */
  concurrency?: number;
  /** Upper bound for part buffers held at once, in bytes (default 32 MiB; one part is always allowed). */
  memoryBudget?: number;
  /** Attempts per part PUT (and per download resume) after the first; default 5. */
  retries?: number;
  /** First backoff delay in ms, doubled on every retry (with ±50 % jitter); default 250. */
  retryDelayMs?: number;
  /** Waits between retries (tests inject a fake). */
  sleep?: (ms: number) => Promise<void>;
}

export interface UploadOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface DownloadOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface Download {
  info: GetBackupResult;
  /** The age file, exactly `info.size` bytes; errors if the connection drops beyond the retries or runs short. */
  stream: Readable;
}

const MiB = 1024 * 1024;
const DEFAULT_BUDGET = 32 * MiB;
const MAX_CONCURRENCY = 4;

/** Statuses worth another try: throttling, timeouts and server-side failures. */
function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

class RetryableError extends Error {}

function abortError(signal: AbortSignal | undefined): ClientError {
  return new ClientError('cancelled', 'upload cancelled', {}, { cause: signal?.reason });
}

export class BackupsClient {
  private readonly api: ApiClient;
  private readonly transport: BlobTransport;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: BackupsClientOptions) {
    this.api = new ApiClient(options);
    this.transport = options.transport ?? (options.fetch ? fetchTransport(options.fetch) : httpTransport());
    this.retries = options.retries ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.sleep = options.sleep ?? ((ms) => delay(ms));
  }

  /** Committed backups, newest first. */
  async list(): Promise<BackupInfo[]> {
    return (await this.api.request('GET', '/v1/backups', undefined, ListBackupsResponse)).backups;
  }

  /** One backup with a fresh download URL; `ref` is a backup id or `latest`. */
  get(ref: string = LATEST): Promise<GetBackupResult> {
    return this.api.request('GET', `/v1/backups/${encodeURIComponent(ref)}`, undefined, GetBackupResponse);
  }

  /** Releases idle connections (the process can exit without it; long-lived programs may call it). */
  close(): void {
    this.transport.close();
  }

  async delete(backupId: string): Promise<void> {
    await this.api.request('DELETE', `/v1/backups/${encodeURIComponent(backupId)}`);
  }

  private backoff(attempt: number): number {
    const base = this.retryDelayMs * 2 ** attempt;
    return Math.round(base * (0.5 + Math.random()));
  }

  /** How many parts go up at once for parts of `partSize` bytes. */
  concurrencyFor(partSize: number): number {
    if (this.options.concurrency !== undefined) return Math.max(1, Math.floor(this.options.concurrency));
    const budget = this.options.memoryBudget ?? DEFAULT_BUDGET;
    // one buffer is always being filled while the others are in flight
    return Math.max(1, Math.min(MAX_CONCURRENCY, Math.floor(budget / partSize) - 1));
  }

  /** PUTs one part, retrying network failures and retryable statuses; returns the ETag header. */
  private async putPart(url: string, body: Uint8Array, partNumber: number, signal: AbortSignal): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        let res;
        try {
          res = await this.transport.put(url, body, signal);
        } catch (e) {
          if (signal.aborted) throw e;
          throw new RetryableError(`part ${partNumber}: network error`, { cause: e });
        }
        if (res.status >= 200 && res.status < 300) {
          const etag = res.etag;
          if (!etag) throw new ClientError('bad-answer', `part ${partNumber}: storage answered without an etag`, { from: 'storage', status: res.status });
          return etag;
        }
        if (retryableStatus(res.status)) throw new RetryableError(`part ${partNumber}: storage answered ${res.status}`);
        throw new ClientError('bad-answer', `part ${partNumber}: storage refused the upload (${res.status})`, { from: 'storage', status: res.status });
      } catch (e) {
        if (signal.aborted) throw abortError(signal);
        if (!(e instanceof RetryableError)) throw e;
        if (attempt >= this.retries) throw new ClientError('unreachable', `${e.message}, gave up after ${attempt + 1} tries`, { host: hostOf(url), attempts: attempt + 1 }, { cause: e.cause });
        await this.sleep(this.backoff(attempt));
        if (signal.aborted) throw abortError(signal);
      }
    }
  }

  /**
   * Uploads `size` bytes read from `source` as a new backup and commits it. Reads stop while all part slots are
   * busy, so memory stays under `concurrency + 1` part buffers. Until the commit, the previous backups stay as
   * they are; a failed or interrupted upload is never listed.
   */
  async upload(source: AsyncIterable<Uint8Array>, size: number, options: UploadOptions = {}): Promise<BackupInfo> {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('size must be a non-negative integer');
    const created = await this.api.request('POST', '/v1/backups', { size }, CreateBackupResponse);
    const { backupId, partSize } = created;
    const count = partCountFor(size, partSize);
    const urls = new Map(created.parts.map((p) => [p.partNumber, p.url]));
    if (created.parts.length !== count || urls.size !== count || [...urls.keys()].some((n) => n < 1 || n > count)) {
      throw new ClientError('bad-answer', 'server answer does not match the protocol (parts)', { from: 'server' });
    }
    const partLength = (n: number) => (n < count ? partSize : size - (count - 1) * partSize);

    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const concurrency = Math.min(this.concurrencyFor(partSize), count);
    const free: Buffer[] = [];
    const etags: { partNumber: number; etag: string }[] = [];
    const inflight = new Set<Promise<void>>();
    let failure: unknown;
    let done = 0;
    const report = () => options.onProgress?.({ done, total: size });

    const takeBuffer = (): Buffer => {
      const b = free.pop();
      return b ?? Buffer.allocUnsafeSlow(Math.min(partSize, size));
    };
    const start = (partNumber: number, buf: Buffer, length: number) => {
      const task = this.putPart(urls.get(partNumber)!, buf.subarray(0, length), partNumber, controller.signal)
        .then((etag) => {
          etags.push({ partNumber, etag });
          done += length;
          report();
        })
        .catch((e: unknown) => {
          failure ??= e;
          controller.abort(e);
        })
        .finally(() => {
          free.push(buf);
          inflight.delete(task);
        });
      inflight.add(task);
    };

    try {
      report();
      let partNumber = 1;
      let buf = takeBuffer();
      let filled = 0;
      let total = 0;
      for await (const chunk of source) {
        if (failure !== undefined) break;
        if (options.signal?.aborted) throw abortError(options.signal);
        let off = 0;
        total += chunk.length;
        if (total > size) throw new ClientError('usage', `backup stream is longer than its declared ${size} bytes`);
        while (off < chunk.length) {
          const want = partLength(partNumber) - filled;
          const n = Math.min(want, chunk.length - off);
          buf.set(chunk.subarray(off, off + n), filled);
          filled += n;
          off += n;
          if (filled === partLength(partNumber) && partNumber < count) {
            start(partNumber, buf, filled);
            partNumber++;
            filled = 0;
            while (inflight.size >= concurrency && failure === undefined) await Promise.race(inflight);
            if (failure !== undefined) break;
            buf = takeBuffer();
          }
        }
      }
      if (failure === undefined) {
        if (total !== size) throw new ClientError('usage', `backup stream ended after ${total} of ${size} bytes`);
        start(partNumber, buf, filled);
      }
      while (inflight.size > 0) await Promise.race(inflight);
      if (failure !== undefined) throw failure;
      if (options.signal?.aborted) throw abortError(options.signal);
    } catch (e) {
      controller.abort(e);
      await Promise.allSettled([...inflight]);
      throw failure ?? e;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    etags.sort((a, b) => a.partNumber - b.partNumber);
    return this.api.request('POST', `/v1/backups/${backupId}/complete`, { parts: etags }, CompleteBackupResponse);
  }

  /**
   * Opens backup `ref` (an id or `latest`) for reading. The stream yields exactly `info.size` bytes; a dropped
   * connection is resumed with a Range request (up to `retries` times), and a short body is an error, never a
   * clean end.
   */
  async download(ref: string = LATEST, options: DownloadOptions = {}): Promise<Download> {
    const info = await this.get(ref);
    const stream = Readable.from(this.body(info.downloadUrl, info.size, options), { objectMode: false, highWaterMark: MiB });
    return { info, stream };
  }

  private async *body(url: string, size: number, options: DownloadOptions): AsyncGenerator<Buffer> {
    let received = 0;
    let attempt = 0;
    options.onProgress?.({ done: 0, total: size });
    for (;;) {
      const headers: Record<string, string> = received > 0 ? { range: `bytes=${received}-` } : {};
      try {
        let res;
        try {
          res = await this.transport.get(url, headers, options.signal);
        } catch (e) {
          if (options.signal?.aborted) throw e;
          throw new RetryableError('download: network error', { cause: e });
        }
        if (res.status < 200 || res.status >= 300) {
          res.discard();
          if (retryableStatus(res.status)) throw new RetryableError(`download: storage answered ${res.status}`);
          throw new ClientError('bad-answer', `download refused by storage (${res.status})`, { from: 'storage', status: res.status });
        }
        if (received > 0 && res.status !== 206) {
          res.discard();
          throw new ClientError('bad-answer', 'storage cannot resume the download', { from: 'storage', status: res.status });
        }
        try {
          for await (const chunk of res.body) {
            received += chunk.length;
            if (received > size) throw new ClientError('damaged', 'backup is longer than listed', { check: 'length' });
            options.onProgress?.({ done: received, total: size });
            yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
          }
        } catch (e) {
          if (e instanceof ClientError || options.signal?.aborted) throw e;
          throw new RetryableError('download: connection dropped', { cause: e });
        }
        if (received !== size) throw new RetryableError(`download: got ${received} of ${size} bytes`);
        return;
      } catch (e) {
        if (!(e instanceof RetryableError)) throw e;
        if (attempt >= this.retries) throw new ClientError('unreachable', `${e.message}, gave up after ${attempt + 1} tries`, { host: hostOf(url), attempts: attempt + 1 }, { cause: e.cause });
        await this.sleep(this.backoff(attempt++));
      }
    }
  }
}
