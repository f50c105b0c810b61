// The one transport of object bytes to and from presigned URLs (client/repo/storage/transport.ts) and the one
// Content-Range parser (content-range.ts): what a request answers, and every way it fails, as an answer
// ({miss, why}), never a throw and never a retry (the store decides that: retry-policy.ts).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keepAliveAgents } from '../../../../client/keep-alive.js';
import { isRange, parseContentRange } from '../../../../client/repo/storage/content-range.js';
import { exchange } from '../../../../client/repo/storage/transport.js';

describe('parseContentRange', () => {
  it.for([
    ['bytes 0-9/10', { first: 0, last: 9, total: 10 }],
    ['bytes 5-5/6', { first: 5, last: 5, total: 6 }],
    ['bytes 0-9/*', { first: 0, last: 9, total: undefined }],
    ['bytes 0-10/10', undefined], // past the end
    ['bytes 5-4/10', undefined], // backwards
    ['bytes=0-9/10', undefined],
    ['bytes 0-9', undefined],
    ['', undefined],
    [undefined, undefined],
    ['bytes 0-99999999999999999999/*', undefined], // not a safe integer
  ] as const)('%s → %o', ([value, parsed]) => {
    expect(parseContentRange(value)).toEqual(parsed);
  });

  it('isRange names exactly [offset, offset + length)', () => {
    expect(isRange('bytes 10-19/100', 10, 10)).toBe(true);
    expect(isRange('bytes 10-19/100', 10, 11)).toBe(false);
    expect(isRange('bytes 11-19/100', 10, 9)).toBe(false);
  });
});

let server: Server;
let base: string;
const agents = keepAliveAgents({ maxSockets: 2 });
const received: Buffer[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/put') {
        received.push(Buffer.concat(chunks));
        res.writeHead(200).end();
      } else if (req.url === '/big') {
        res.writeHead(200, { 'content-length': '100' }).end(Buffer.alloc(100, 7));
      } else if (req.url === '/short') {
        res.writeHead(200, { 'content-length': '100' });
        res.write(Buffer.alloc(10));
        setTimeout(() => res.destroy(), 20);
      } else {
        res.writeHead(503, { 'retry-after': '1' }).end('busy');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  agents.http.destroy();
  await new Promise((r) => server.close(r));
});

describe('exchange', () => {
  it('PUTs what a writer writes, and answers the status', async () => {
    const a = await exchange(`${base}/put`, {
      method: 'PUT', agents, timeoutMs: 5000, headers: { 'content-length': '6' },
      body: async (req) => { req.write('abc'); req.end('def'); },
    });
    expect(a.status).toBe(200);
    expect(received.at(-1)?.toString()).toBe('abcdef');
  });

  it('receives a body into the buffer picked for its declared length', async () => {
    let asked: number | undefined;
    const into = Buffer.alloc(100);
    const a = await exchange(`${base}/big`, { method: 'GET', agents, timeoutMs: 5000, into: (n) => { asked = n; return into; } });
    expect(asked).toBe(100);
    expect(a.miss).toBeUndefined();
    expect(a.body?.buffer).toBe(into.buffer);
    expect(a.body?.equals(Buffer.alloc(100, 7))).toBe(true);
  });

  it('a body over its bound is a miss (too-long), in a buffer or in pieces', async () => {
    expect(await exchange(`${base}/big`, { method: 'GET', agents, timeoutMs: 5000, into: () => Buffer.alloc(99) })).toMatchObject({ why: 'too-long' });
    expect(await exchange(`${base}/big`, { method: 'GET', agents, timeoutMs: 5000, maxBytes: 99 })).toMatchObject({ why: 'too-long' });
  });

  it('a short body is a miss (network), not data', async () => {
    expect(await exchange(`${base}/short`, { method: 'GET', agents, timeoutMs: 5000 })).toMatchObject({ why: 'network' });
  });

  it('a refusal is an answer with its status and headers (the store decides about retrying)', async () => {
    const a = await exchange(`${base}/busy`, { method: 'GET', agents, timeoutMs: 5000 });
    expect(a.status).toBe(503);
    expect(a.headers?.['retry-after']).toBe('1');
  });

  it('no server, or a URL that is not http(s), is a miss', async () => {
    expect(await exchange('http://127.0.0.1:1/x', { method: 'GET', agents, timeoutMs: 5000 })).toMatchObject({ why: 'network' });
    expect(await exchange('ftp://example.invalid/x', { method: 'GET', agents, timeoutMs: 5000 })).toMatchObject({ why: 'url' });
  });
});
