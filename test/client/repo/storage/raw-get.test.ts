// rawGet (client/repo/storage/raw-get.ts): a ranged GET over plain HTTP/1.1 into the caller's buffer. It may claim
// success only for exactly the range asked for, framed by Content-Length, with every byte present; any other
// answer is a miss (the caller then fetches through the store), and a connection is reused only after a clean
// answer. The servers here are raw TCP so that each can answer exactly as a broken or hostile storage would.

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { closeIdle, parseHead, rawGet } from '../../../../client/repo/storage/raw-get.js';

const DATA = Buffer.alloc(3 * 1024 * 1024);
for (let i = 0; i < DATA.length; i++) DATA[i] = (i * 7 + (i >> 11)) & 255;

interface Asked {
  from: number;
  to: number;
  head: string;
}

/** A TCP server that parses each request head and lets `answer` write whatever it likes. */
async function server(answer: (s: Socket, asked: Asked, n: number) => void): Promise<{ url: string; connections: () => number; requests: () => number; close: () => Promise<void> }> {
  let connections = 0;
  let requests = 0;
  const sockets = new Set<Socket>();
  const srv: Server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let pending = '';
    s.on('data', (d) => {
      pending += d.toString('latin1');
      let at;
      while ((at = pending.indexOf('\r\n\r\n')) >= 0) {
        const head = pending.slice(0, at);
        pending = pending.slice(at + 4);
        const m = /\r\nRange: bytes=(\d+)-(\d+)\r\n/i.exec(`${head}\r\n`);
        answer(s, { from: Number(m?.[1]), to: Number(m?.[2]), head }, requests++);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/bucket/accounts/a/repo/data/ab?X-Amz-Signature=00`,
    connections: () => connections,
    requests: () => requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => srv.close(r));
    },
  };
}

const partial = (a: Asked, extra = '') =>
  `HTTP/1.1 206 Partial Content\r\nContent-Length: ${a.to - a.from + 1}\r\nContent-Range: bytes ${a.from}-${a.to}/${DATA.length}\r\n${extra}\r\n`;

const servers: { close: () => Promise<void> }[] = [];
async function open(answer: Parameters<typeof server>[0]) {
  const s = await server(answer);
  servers.push(s);
  return s;
}
afterEach(async () => {
  closeIdle();
  for (const s of servers.splice(0)) await s.close();
});
afterAll(() => closeIdle());

describe('rawGet', () => {
  it('receives exactly the range asked for, and reuses the connection for the next request', async () => {
    const s = await open((sock, a) => sock.write(Buffer.concat([Buffer.from(partial(a)), DATA.subarray(a.from, a.to + 1)])));
    for (const [offset, length] of [[0, 1], [12345, 2 * 1024 * 1024], [DATA.length - 70000, 70000]] as const) {
      const into = Buffer.alloc(length);
      await expect(rawGet({ url: s.url }, offset, into, 5000)).resolves.toEqual({ ok: true });
      expect(into.equals(DATA.subarray(offset, offset + length))).toBe(true);
    }
    expect(s.requests()).toBe(3);
    expect(s.connections()).toBe(1);
  });

  it('sends the presigned path and query unchanged, with Host and Range', async () => {
    let head = '';
    const s = await open((sock, a) => {
      head = a.head;
      sock.write(Buffer.concat([Buffer.from(partial(a)), DATA.subarray(a.from, a.to + 1)]));
    });
    await rawGet({ url: s.url }, 10, Buffer.alloc(5), 5000);
    const u = new URL(s.url);
    expect(head.split('\r\n')).toEqual([`GET ${u.pathname}${u.search} HTTP/1.1`, `Host: ${u.host}`, 'Range: bytes=10-14', 'Connection: keep-alive']);
  });

  it('takes an answer cut anywhere, down to one byte at a time', async () => {
    const s = await open((sock, a) => {
      const bytes = Buffer.concat([Buffer.from(partial(a)), DATA.subarray(a.from, a.to + 1)]);
      let at = 0;
      const step = () => {
        if (at >= bytes.length || sock.destroyed) return;
        const n = at < 400 ? 1 : 997;
        sock.write(bytes.subarray(at, at + n));
        at += n;
        setImmediate(step);
      };
      step();
    });
    const into = Buffer.alloc(50_000);
    await expect(rawGet({ url: s.url }, 777, into, 5000)).resolves.toEqual({ ok: true });
    expect(into.equals(DATA.subarray(777, 777 + 50_000))).toBe(true);
  });

  const wrong: [string, (a: Asked) => string | Buffer, RegExp][] = [
    ['a 200 with the whole object', () => Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${DATA.length}\r\n\r\n`), DATA]), /storage answered 200/],
    ['a 403', () => 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n', /storage answered 403/],
    ['another range', (a) => Buffer.concat([Buffer.from(partial({ ...a, from: a.from + 1, to: a.to + 1 })), DATA.subarray(a.from + 1, a.to + 2)]), /another range/],
    ['another length', (a) => `HTTP/1.1 206 Partial Content\r\nContent-Length: 3\r\nContent-Range: bytes ${a.from}-${a.to}/${DATA.length}\r\n\r\nabc`, /another length/],
    ['a chunked body', (a) => `HTTP/1.1 206 Partial Content\r\nTransfer-Encoding: chunked\r\nContent-Range: bytes ${a.from}-${a.to}/${DATA.length}\r\n\r\n0\r\n\r\n`, /framed otherwise/],
    ['two content lengths', (a) => `${partial(a, `Content-Length: ${a.to - a.from + 1}\r\n`)}`, /bad response head/],
    ['no status line', () => 'hello\r\n\r\n', /bad response head/],
    ['a head over 16 KiB', () => `HTTP/1.1 206 Partial Content\r\nX-Pad: ${'a'.repeat(17 * 1024)}\r\n\r\n`, /head too long/],
    ['more bytes than the length', (a) => Buffer.concat([Buffer.from(partial(a)), DATA.subarray(a.from, a.to + 1), Buffer.from('trailing')]), /body too long/],
  ];
  for (const [what, body, reason] of wrong) {
    it(`misses on ${what}, and does not reuse that connection`, async () => {
      const s = await open((sock, a, n) => {
        // the second request on any connection is answered properly
        sock.write(n === 0 ? body(a) : Buffer.concat([Buffer.from(partial(a)), DATA.subarray(a.from, a.to + 1)]));
      });
      const into = Buffer.alloc(100);
      const r = await rawGet({ url: s.url }, 5, into, 5000);
      expect(r.ok).toBeUndefined();
      expect(r.miss).toMatch(reason);
      await expect(rawGet({ url: s.url }, 5, into, 5000)).resolves.toEqual({ ok: true });
      expect(into.equals(DATA.subarray(5, 105))).toBe(true);
      expect(s.connections()).toBe(2);
    });
  }

  it('misses when the connection closes in the middle of the body', async () => {
    const s = await open((sock, a) => {
      sock.write(Buffer.concat([Buffer.from(partial(a)), DATA.subarray(a.from, a.from + 1000)]));
      sock.end();
    });
    await expect(rawGet({ url: s.url }, 0, Buffer.alloc(5000), 5000)).resolves.toEqual({ miss: 'connection closed' });
  });

  it('misses when storage stops sending for the timeout', async () => {
    const s = await open((sock, a) => sock.write(partial(a)));
    const started = Date.now();
    await expect(rawGet({ url: s.url }, 0, Buffer.alloc(5000), 300)).resolves.toEqual({ miss: 'timeout' });
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('retries once on a new connection when a kept one was closed by the server', async () => {
    const s = await open((sock, a, n) => {
      sock.write(Buffer.concat([Buffer.from(partial(a)), DATA.subarray(a.from, a.to + 1)]));
      // the first connection is closed right after its first answer, as an idle timeout would
      if (n === 0) setTimeout(() => sock.destroy(), 20);
    });
    await expect(rawGet({ url: s.url }, 0, Buffer.alloc(10), 5000)).resolves.toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 100));
    const into = Buffer.alloc(10);
    await expect(rawGet({ url: s.url }, 20, into, 5000)).resolves.toEqual({ ok: true });
    expect(into.equals(DATA.subarray(20, 30))).toBe(true);
    expect(s.connections()).toBe(2);
  });

  it('closes a kept connection on which storage sends unasked bytes', async () => {
    const s = await open((sock, a, n) => {
      sock.write(Buffer.concat([Buffer.from(partial(a)), DATA.subarray(a.from, a.to + 1)]));
      if (n === 0) setTimeout(() => sock.write('HTTP/1.1 206 Partial Content\r\n'), 20);
    });
    await expect(rawGet({ url: s.url }, 0, Buffer.alloc(10), 5000)).resolves.toEqual({ ok: true });
    await new Promise((r) => setTimeout(r, 100));
    await expect(rawGet({ url: s.url }, 0, Buffer.alloc(10), 5000)).resolves.toEqual({ ok: true });
    expect(s.connections()).toBe(2);
  });

  it('misses for https, bad URLs, unreachable storage and an empty range', async () => {
    await expect(rawGet({ url: 'https://example.invalid/x' }, 0, Buffer.alloc(1), 1000)).resolves.toEqual({ miss: 'not an http url' });
    await expect(rawGet({ url: 'not a url' }, 0, Buffer.alloc(1), 1000)).resolves.toEqual({ miss: 'bad url' });
    await expect(rawGet({ url: 'http://127.0.0.1:1/x' }, 0, Buffer.alloc(1), 1000)).resolves.toEqual({ miss: 'connection closed' });
    await expect(rawGet({ url: 'http://127.0.0.1:1/x' }, 0, Buffer.alloc(0), 1000)).resolves.toEqual({ miss: 'empty range' });
  });
});

describe('parseHead', () => {
  it('reads the status, lowercases names and decides keep-alive as HTTP/1.0 and 1.1 do', () => {
    expect(parseHead('HTTP/1.1 206 Partial Content\r\nContent-Length: 5')).toEqual({ status: 206, headers: new Map([['content-length', '5']]), keepAlive: true });
    expect(parseHead('HTTP/1.1 206 X\r\nConnection: close')?.keepAlive).toBe(false);
    expect(parseHead('HTTP/1.0 206 X')?.keepAlive).toBe(false);
    expect(parseHead('HTTP/1.0 206 X\r\nConnection: Keep-Alive')?.keepAlive).toBe(true);
    expect(parseHead('HTTP/2 206')).toBeUndefined();
    expect(parseHead('HTTP/1.1 206 X\r\nno colon')).toBeUndefined();
    expect(parseHead('HTTP/1.1 206 X\r\nContent-Range: bytes 0-1/2\r\ncontent-range: bytes 0-1/2')).toBeUndefined();
  });
});
