// BackupsClient against a fake fetch (an in-memory storage API and presigned-URL store): exact part splitting,
// bounded parallelism, per-part retries with growing backoff, no commit after a failure, download resuming with
// Range after a dropped connection and never ending cleanly when short.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ClientError, type ClientErrorKind } from '../../client/errors.js';
import { BackupsClient, type BackupsClientOptions } from '../../client/backups-client.js';

const ID = '01jd0000000000000000000000';

interface FakeOptions {
  partSize: number;
  /** partNumber → failures to answer before succeeding: a status, or 'network' for a thrown TypeError. */
  failures?: Map<number, (number | 'network')[]>;
  /** Drop the download connection after this many bytes, this many times. */
  dropAfter?: { bytes: number; times: number };
  /** Answer downloads with fewer bytes than stored. */
  shortBody?: boolean;
}

function fakeStorage(opts: FakeOptions) {
  const parts = new Map<number, Buffer>();
  const calls: string[] = [];
  const putAttempts = new Map<number, number>();
  let inflight = 0;
  let maxInflight = 0;
  let completed: { partNumber: number; etag: string }[] | undefined;
  let object: Buffer | undefined;
  let declared = 0;
  let drops = 0;
  const ranges: (string | null)[] = [];

  const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    calls.push(`${method} ${url.pathname}`);
    if (url.host === 'api.test') {
      if (method === 'POST' && url.pathname === '/v1/backups') {
        declared = (JSON.parse(String(init?.body)) as { size: number }).size;
        const count = Math.max(1, Math.ceil(declared / opts.partSize));
        return json(201, {
          backupId: ID, partSize: opts.partSize, expiresAt: '2030-01-01T00:00:00.000Z',
          parts: Array.from({ length: count }, (_, i) => ({ partNumber: i + 1, url: `http://s3.test/part/${i + 1}` })),
        });
      }
      if (method === 'POST' && url.pathname === `/v1/backups/${ID}/complete`) {
        completed = (JSON.parse(String(init?.body)) as { parts: { partNumber: number; etag: string }[] }).parts;
        object = Buffer.concat(completed.map((p) => parts.get(p.partNumber)!));
        if (object.length !== declared) return json(409, { type: 'urn:bkv:problem:conflict', title: 'conflict', status: 409, detail: 'size mismatch' });
        return json(200, { backupId: ID, size: object.length, createdAt: '2030-01-01T00:00:00.000Z' });
      }
      if (method === 'GET' && url.pathname === '/v1/backups/latest') {
        return json(200, { backupId: ID, size: object!.length, createdAt: '2030-01-01T00:00:00.000Z', downloadUrl: 'http://s3.test/object' });
      }
      return json(404, { type: 'urn:bkv:problem:not-found', title: 'not found', status: 404 });
    }
    if (method === 'PUT') {
      const n = Number(url.pathname.split('/').pop());
      const attempt = putAttempts.get(n) ?? 0;
      putAttempts.set(n, attempt + 1);
      inflight++;
      maxInflight = Math.max(maxInflight, inflight);
      await new Promise((r) => setTimeout(r, 2));
      inflight--;
      const failure = opts.failures?.get(n)?.[attempt];
      if (failure === 'network') throw new TypeError('fetch failed');
      if (failure !== undefined) return new Response('no', { status: failure });
      parts.set(n, Buffer.from(init!.body as Uint8Array));
      return new Response(null, { status: 200, headers: { etag: `"etag-${n}"` } });
    }
    // download
    const range = new Headers(init?.headers).get('range');
    ranges.push(range);
    const from = range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    let body = object!.subarray(from);
    if (opts.shortBody) body = body.subarray(0, body.length - 10);
    const drop = opts.dropAfter && drops < opts.dropAfter.times;
    if (drop) drops++;
    let sent = 0;
    const limit = drop ? opts.dropAfter!.bytes : body.length;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= limit) {
          if (drop) controller.error(new TypeError('terminated'));
          else controller.close();
          return;
        }
        const n = Math.min(4096, limit - sent);
        controller.enqueue(new Uint8Array(body.subarray(sent, sent + n)));
        sent += n;
      },
    });
    return new Response(stream, { status: range ? 206 : 200 });
  }) as typeof fetch;

  return {
    fetchImpl, parts, calls, putAttempts, ranges,
    get maxInflight() { return maxInflight; },
    get completed() { return completed; },
    get object() { return object; },
  };
}

function client(fake: ReturnType<typeof fakeStorage>, extra: Partial<BackupsClientOptions> = {}) {
  const sleeps: number[] = [];
  const c = new BackupsClient({
    server: 'http://api.test', token: 't', fetch: fake.fetchImpl, sleep: async (ms) => {
      sleeps.push(ms);
    }, ...extra,
  });
  return { c, sleeps };
}

/** The bytes as a stream of odd-sized chunks, so part boundaries fall inside chunks. */
async function* chunked(bytes: Buffer, size = 777): AsyncGenerator<Buffer> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

async function rejection<K extends ClientErrorKind>(p: Promise<unknown>, kind: K): Promise<ClientError<K>> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ClientError);
  expect((e as ClientError).kind).toBe(kind);
  return e as ClientError<K>;
}

describe('upload', () => {
  it.for([0, 1, 999, 1000, 1001, 10_000, 12_345])('splits %i bytes into exact parts and commits them in order', async (size) => {
    const fake = fakeStorage({ partSize: 1000 });
    const { c } = client(fake, { concurrency: 3 });
    const data = randomBytes(size);
    const progress: number[] = [];
    const info = await c.upload(chunked(data), size, { onProgress: (p) => progress.push(p.done) });
    expect(info).toEqual({ backupId: ID, size, createdAt: '2030-01-01T00:00:00.000Z' });
    const count = Math.max(1, Math.ceil(size / 1000));
    expect(fake.completed).toEqual(Array.from({ length: count }, (_, i) => ({ partNumber: i + 1, etag: `"etag-${i + 1}"` })));
    for (let n = 1; n < count; n++) expect(fake.parts.get(n)!.length).toBe(1000);
    expect(fake.object!.equals(data)).toBe(true);
    expect(progress.at(-1)).toBe(size);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('keeps at most `concurrency` parts in flight', async () => {
    const fake = fakeStorage({ partSize: 1000 });
    const { c } = client(fake, { concurrency: 2 });
    await c.upload(chunked(randomBytes(20_000)), 20_000);
    expect(fake.maxInflight).toBe(2);
  });

  it('derives the concurrency from the memory budget', () => {
    const fake = fakeStorage({ partSize: 1000 });
    const MiB = 1024 * 1024;
    expect(client(fake).c.concurrencyFor(8 * MiB)).toBe(3);
    expect(client(fake, { memoryBudget: 64 * MiB }).c.concurrencyFor(8 * MiB)).toBe(4);
    expect(client(fake, { memoryBudget: 16 * MiB }).c.concurrencyFor(8 * MiB)).toBe(1);
    expect(client(fake).c.concurrencyFor(64 * MiB)).toBe(1);
  });

  it('retries a failing part with growing backoff and still commits', async () => {
    const fake = fakeStorage({ partSize: 1000, failures: new Map([[2, [503, 'network', 500]]]) });
    const { c, sleeps } = client(fake, { retryDelayMs: 100 });
    const data = randomBytes(3500);
    await c.upload(chunked(data), data.length);
    expect(fake.putAttempts.get(2)).toBe(4);
    expect(fake.putAttempts.get(1)).toBe(1);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[0]).toBeGreaterThanOrEqual(50);
    expect(sleeps[0]).toBeLessThanOrEqual(150);
    expect(sleeps[2]).toBeGreaterThanOrEqual(200);
    expect(sleeps[2]).toBeLessThanOrEqual(600);
    expect(fake.object!.equals(data)).toBe(true);
  });

  it('gives up after the retries and never commits', async () => {
    const fake = fakeStorage({ partSize: 1000, failures: new Map([[1, [500, 500, 500]]]) });
    const { c } = client(fake, { retries: 2 });
    const e = await rejection(c.upload(chunked(randomBytes(2500)), 2500), 'unreachable');
    expect(e.details).toEqual({ host: expect.any(String), attempts: 3 });
    expect(e.message).toBe('part 1: storage answered 500, gave up after 3 tries');
    expect(fake.completed).toBeUndefined();
    expect(fake.calls.filter((x) => x.endsWith('/complete'))).toEqual([]);
  });

  it('does not retry a refused (403) part', async () => {
    const fake = fakeStorage({ partSize: 1000, failures: new Map([[1, [403]]]) });
    const { c } = client(fake);
    const e = await rejection(c.upload(chunked(randomBytes(500)), 500), 'bad-answer');
    expect(e.details).toEqual({ from: 'storage', status: 403 });
    expect(fake.putAttempts.get(1)).toBe(1);
  });

  it('refuses a stream shorter or longer than declared, without committing', async () => {
    const fake = fakeStorage({ partSize: 1000 });
    const { c } = client(fake);
    expect((await rejection(c.upload(chunked(randomBytes(2000)), 2500), 'usage')).message).toBe('backup stream ended after 2000 of 2500 bytes');
    expect((await rejection(c.upload(chunked(randomBytes(3000)), 2500), 'usage')).message).toBe('backup stream is longer than its declared 2500 bytes');
    expect(fake.completed).toBeUndefined();
  });

  it('stops reading and committing when cancelled', async () => {
    const fake = fakeStorage({ partSize: 1000 });
    const { c } = client(fake);
    const controller = new AbortController();
    async function* source() {
      yield randomBytes(1000);
      controller.abort();
      yield randomBytes(1000);
    }
    const e = await rejection(c.upload(source(), 5000, { signal: controller.signal }), 'cancelled');
    expect(e.message).toBe('upload cancelled');
    expect(fake.completed).toBeUndefined();
  });
});

describe('download', () => {
  async function uploaded(opts: Omit<FakeOptions, 'partSize'>) {
    const fake = fakeStorage({ partSize: 4096, ...opts });
    const { c, sleeps } = client(fake);
    const data = randomBytes(50_000);
    await c.upload(chunked(data), data.length);
    return { fake, c, sleeps, data };
  }

  async function read(stream: AsyncIterable<unknown>): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const x of stream) parts.push(x as Buffer);
    return Buffer.concat(parts);
  }

  it('streams the object with progress up to its size', async () => {
    const { c, data } = await uploaded({});
    const seen: number[] = [];
    const { info, stream } = await c.download('latest', { onProgress: (p) => seen.push(p.done) });
    expect(info.size).toBe(data.length);
    expect((await read(stream)).equals(data)).toBe(true);
    expect(seen.at(-1)).toBe(data.length);
  });

  it('resumes a dropped connection with a Range request', async () => {
    const { c, fake, data } = await uploaded({ dropAfter: { bytes: 10_000, times: 2 } });
    const { stream } = await c.download();
    expect((await read(stream)).equals(data)).toBe(true);
    expect(fake.ranges).toEqual([null, 'bytes=10000-', 'bytes=20000-']);
  });

  it('ends in an error, never a clean end, when the body stays short', async () => {
    const { c } = await uploaded({ shortBody: true });
    const { stream } = await c.download();
    const e = await rejection(read(stream), 'unreachable');
    expect(e.details.attempts).toBe(6);
    expect(e.message).toMatch(/^download: got \d+ of 50000 bytes, gave up after 6 tries$/);
  });
});
