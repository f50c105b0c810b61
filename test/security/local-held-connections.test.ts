// Attacker: another user of the same machine, with no credentials, against the local runtime's loopback ports
// (docs/threat-model.md "The local runtime"). The third review held 128 connections to the S3 stand-in, each with an
// Authorization header and a hex x-amz-content-sha256 (not even a valid signature): the stand-in read up to 16 MiB
// of each body before checking the signature, and the runtime went from 805 MiB to ~2 GiB RSS. Afterwards no
// unauthenticated request makes the runtime hold more than a small fixed amount: signatures are checked before any
// body is read, so such a request is answered (403, or 401 at the API) as soon as its headers are in.
// The runtime runs as `npm start` does (a child process); its RSS is read from /proc. Loopback only, bounded loops.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/free-port.js';
import { localToken } from '../helpers/local.js';
import { call } from '../helpers/repo.js';
import { startNpmStart, type NpmStart } from '../helpers/npm-start.js';

const CONNECTIONS = 256;
/** What each connection sends of its declared body before holding still. */
const SENT_PER_CONNECTION = 512 * 1024;
/** How much the runtime's RSS may grow while 256 connections are held (GC of drained bodies; the old code: +128 MiB or more). */
const RSS_SLACK = 64 * 1024 * 1024;

let app: NpmStart;
let dataDir: string;
let url: string;
let s3: URL;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'bkv-held-'));
  app = startNpmStart(await freePort(), dataDir);
  url = await app.ready;
  const token = await localToken(url, dataDir, 'probe');
  const up = await call({ url }, token, 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: '0'.repeat(64), size: 1 }] });
  s3 = new URL(String((up.json!.uploads as { url: string }[])[0]!.url));
}, 60_000);
afterAll(async () => {
  app.child.kill('SIGTERM');
  await app.exit;
  await rm(dataDir, { recursive: true, force: true });
});

function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

const hex = () => randomBytes(32).toString('hex');
const amzDate = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** An S3 PUT with a well-formed (but wrong) header signature and a payload hash: what made the stand-in buffer. */
function s3Head(host: string, length: number): string {
  const date = amzDate();
  return [
    `PUT /bkv-backups/accounts/x/repo/data/${hex()} HTTP/1.1`, `Host: ${host}`,
    `Authorization: AWS4-HMAC-SHA256 Credential=AKIAFAKE/${date.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${hex()}`,
    `x-amz-content-sha256: ${hex()}`, `x-amz-date: ${date}`, `Content-Length: ${length}`, '', '',
  ].join('\r\n');
}

/** An API POST without a token. */
function apiHead(host: string, length: number): string {
  return [`POST /v1/repo/uploads HTTP/1.1`, `Host: ${host}`, 'Content-Type: application/json', `Content-Length: ${length}`, '', ''].join('\r\n');
}

interface Held {
  socket: Socket;
  /** The first bytes of the answer, if one came. */
  answer: () => string;
  /** The server closed the connection (a close can overtake its answer while the client is still sending). */
  closed: () => boolean;
}

/** Opens a connection, sends `head` and `bytes` of body (never the rest), and keeps it open. */
function hold(port: number, head: string, bytes: number): Promise<Held> {
  return new Promise((resolve) => {
    let answer = '';
    let closed = false;
    const socket = connect(port, '127.0.0.1');
    const held = (): Held => ({ socket, answer: () => answer, closed: () => closed });
    socket.on('data', (d: Buffer) => {
      if (answer.length < 200) answer += d.toString('latin1');
    });
    socket.on('error', () => undefined); // the server may close before the body is written: that is the point
    socket.once('connect', () => {
      socket.write(head);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const more = () => {
        while (sent < bytes && !socket.destroyed) {
          const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
          sent += part.length;
          if (!socket.write(part)) return void socket.once('drain', more);
        }
        resolve(held());
      };
      more();
    });
    socket.once('close', () => {
      closed = true;
      resolve(held());
    });
  });
}

/** Holds `n` connections made by `open`, sampling the runtime's RSS meanwhile; returns the peak growth. */
async function peakGrowth(n: number, open: () => Promise<Held>): Promise<{ growth: number; before: number; peak: number; answers: string[] }> {
  const pid = app.child.pid!;
  await new Promise((r) => setTimeout(r, 500));
  const before = rss(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 50);
  const held: Held[] = [];
  try {
    for (let i = 0; i < n; i += 32) held.push(...(await Promise.all(Array.from({ length: Math.min(32, n - i) }, open))));
    await new Promise((r) => setTimeout(r, 1500)); // the server has had time to read what was sent
    peak = Math.max(peak, rss(pid));
  } finally {
    clearInterval(sampler);
    for (const h of held) h.socket.destroy();
  }
  const answers = held.map((h) => h.answer().split('\r\n')[0] || (h.closed() ? 'closed by the server' : 'no answer'));
  return { growth: peak - before, before, peak, answers };
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

describe('another local user holding connections open', () => {
  it(`${CONNECTIONS} S3 PUTs with a forged signature and 512 KiB of a 16 MiB body each: RSS stays flat, each is refused at once`, async () => {
    const r = await peakGrowth(CONNECTIONS, () => hold(Number(s3.port), s3Head(s3.host, 16 * 1024 * 1024), SENT_PER_CONNECTION));
    console.log(`S3 stand-in: RSS ${mib(r.before)} → peak ${mib(r.peak)} (+${mib(r.growth)}) under ${CONNECTIONS} held connections`);
    expect(r.growth).toBeLessThan(RSS_SLACK);
    // Every one refused without waiting for its body: a 403, or closed by the server (its 403 overtaken by the reset).
    expect(r.answers.filter((a) => !a.startsWith('HTTP/1.1 403 ') && a !== 'closed by the server')).toEqual([]);
    expect(r.answers.filter((a) => a.startsWith('HTTP/1.1 403 ')).length).toBeGreaterThan(CONNECTIONS / 2);
  }, 120_000);

  it(`${CONNECTIONS} API requests without a token, 60 KiB of a 64 KiB body each: RSS stays flat, each is refused at once`, async () => {
    const api = new URL(url);
    const r = await peakGrowth(CONNECTIONS, () => hold(Number(api.port), apiHead(api.host, 64 * 1024), 60 * 1024));
    console.log(`API: RSS ${mib(r.before)} → peak ${mib(r.peak)} (+${mib(r.growth)}) under ${CONNECTIONS} held connections`);
    expect(r.growth).toBeLessThan(RSS_SLACK);
    expect(r.answers.filter((a) => !a.startsWith('HTTP/1.1 401 ') && a !== 'closed by the server')).toEqual([]);
    expect(r.answers.filter((a) => a.startsWith('HTTP/1.1 401 ')).length).toBeGreaterThan(CONNECTIONS / 2);
  }, 120_000);

  it('the runtime still serves afterwards', async () => {
    const token = await localToken(url, dataDir, 'probe');
    expect((await call({ url }, token, 'GET', '/v1/repo')).status).toBe(200);
  });
});
