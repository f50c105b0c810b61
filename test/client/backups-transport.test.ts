// The default node:http transport of BackupsClient against a real (tiny) HTTP server: a PUT that never gets an
// answer times out and is retried; a download whose connection is cut mid-body resumes with a Range request and
// yields exactly the object; the minimal API fetch (client/node-fetch.ts) answers like fetch for JSON calls.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BackupsClient } from '../../client/backups-client.js';
import { httpTransport } from '../../client/blob-transport.js';
import { nodeFetch } from '../../client/node-fetch.js';

const ID = '01jd0000000000000000000000';
const object = randomBytes(300_000);
let base = '';
const seen: { method: string; path: string; range?: string }[] = [];
let putsToStall = 0;
let cutsLeft = 0;
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', base);
    seen.push({ method: req.method ?? '', path: url.pathname, ...(req.headers.range ? { range: req.headers.range } : {}) });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/v1/backups' && req.method === 'POST') {
      return json(201, { backupId: ID, partSize: 1000, expiresAt: '2030-01-01T00:00:00.000Z', parts: [{ partNumber: 1, url: `${base}/blob/1` }] });
    }
    if (url.pathname === `/v1/backups/${ID}/complete`) return json(200, { backupId: ID, size: 10, createdAt: '2030-01-01T00:00:00.000Z' });
    if (url.pathname === '/v1/backups/latest') {
      return json(200, { backupId: ID, size: object.length, createdAt: '2030-01-01T00:00:00.000Z', downloadUrl: `${base}/object` });
    }
    if (url.pathname === '/blob/1') {
      if (putsToStall > 0) {
        putsToStall--;
        return; // never answer
      }
      res.writeHead(200, { etag: '"e1"' });
      return res.end();
    }
    if (url.pathname === '/object') {
      const from = req.headers.range ? Number(/bytes=(\d+)-/.exec(req.headers.range)![1]) : 0;
      const body = object.subarray(from);
      res.writeHead(from > 0 ? 206 : 200, { 'content-length': body.length });
      if (cutsLeft > 0) {
        cutsLeft--;
        res.write(body.subarray(0, 100_000));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      }
      return res.end(body);
    }
    json(404, { type: 'urn:bkv:problem:not-found', title: 'not found', status: 404 });
  });
});

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('node:http transport', () => {
  it('times out a PUT that gets no answer and retries it', async () => {
    putsToStall = 1;
    seen.length = 0;
    const client = new BackupsClient({
      server: base, token: 't', fetch: nodeFetch, transport: httpTransport({ idleTimeoutMs: 200 }), retryDelayMs: 1,
    });
    const info = await client.upload((async function* () {
      yield Buffer.from('0123456789');
    })(), 10);
    expect(info.backupId).toBe(ID);
    expect(seen.filter((s) => s.path === '/blob/1')).toHaveLength(2);
    client.close();
  });

  it('resumes a cut download with Range and yields exactly the object', async () => {
    cutsLeft = 2;
    seen.length = 0;
    const client = new BackupsClient({ server: base, token: 't', fetch: nodeFetch, transport: httpTransport(), retryDelayMs: 1 });
    const { stream } = await client.download();
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    expect(Buffer.concat(parts).equals(object)).toBe(true);
    expect(seen.filter((s) => s.path === '/object').map((s) => s.range)).toEqual([undefined, 'bytes=100000-', 'bytes=200000-']);
    client.close();
  });

  it('nodeFetch answers status, ok, headers and text', async () => {
    const res = await nodeFetch(`${base}/nowhere`, { method: 'GET', headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
    expect(res.ok).toBe(false);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(await res.text())).toMatchObject({ status: 404 });
    await expect(nodeFetch('ftp://example.com/')).rejects.toThrow('unsupported url scheme ftp:');
  });
});
