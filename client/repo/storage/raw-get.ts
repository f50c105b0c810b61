// A ranged GET over plain HTTP/1.1 whose body the kernel writes straight into the caller's buffer (node:net's
// `onread` with a buffer chosen per read): no socket buffer is allocated per read, no copy is made by the HTTP
// parser or by us, so a restore's bytes are copied once, from the socket to the buffer they are opened in. For
// the local runtime's presigned URLs (`npm start`: http on loopback, where these copies were a fifth of a
// restore's CPU); https and anything unusual go through node:http (transport.ts, which calls this one for http:).
//
// Contract: `rawGet` resolves {ok: true} only after a `206` whose Content-Length is exactly `into.length` and
// whose Content-Range is exactly the range asked for, with exactly that many body bytes in `into`; anything else
// (another status, chunked or unframed bodies, a header block over 16 KiB, a connection that fails or stalls for
// `timeoutMs`) resolves {miss: reason} and the connection is closed. Connections are kept alive and reused, at
// most `IDLE_PER_HOST` idle per host, and never after KEEP_ALIVE_MS idle (by the clock when one is taken, as
// client/keep-alive.ts does for node:http: a busy thread's timers are late, the server's are not); a reused one
// that closes before answering is retried once on a new one.

import { connect, type Socket } from 'node:net';
import { KEEP_ALIVE_MS } from '../../keep-alive.js';
import { isRange } from './content-range.js';
import type { DirectRequest } from './store.js';
import type { Transferred } from './transport.js';

const MAX_HEAD = 16 * 1024;
const IDLE_PER_HOST = 4;
const CRLF2 = Buffer.from('\r\n\r\n');
/** Where bytes past the expected body land: any byte there is a protocol error. */
const overflow = Buffer.alloc(1024);
/**
 * What a connection with no request reads into. node:net picks the buffer of the next read right after the
 * last one, so a request's first read lands here (its bytes are then copied to the head).
 */
const between = Buffer.alloc(4096);

/** The request a connection is serving: where its next read goes, what is done with what was read, how it fails. */
interface RawRequest {
  next(): Buffer;
  /** `n` bytes were read into `buf`; false would pause the connection (never returned). */
  got(n: number, buf: Uint8Array): boolean;
  fail(reason: string): boolean;
}

/** A connection of this file's pool: the request it serves, and since when it is idle (Date.now()). */
interface RawSocket extends Socket {
  rawRequest?: RawRequest | undefined;
  idleSince?: number;
}

/** What one request on a connection came to: `fresh` says whether no byte of an answer came. */
type RawAnswer = { ok: true; miss?: undefined; fresh?: undefined } | { ok?: undefined; miss: string; fresh: boolean };

/** Idle keep-alive connections by "host:port". */
const idle = new Map<string, RawSocket[]>();

function takeIdle(key: string): RawSocket | undefined {
  const list = idle.get(key);
  let s = list?.pop();
  // the newest is taken first: when it is too old, so are the rest (`list` is there when `s` is)
  if (s !== undefined && Date.now() - s.idleSince! >= KEEP_ALIVE_MS) {
    for (const old of [s, ...list!]) old.destroy();
    list!.length = 0;
    s = undefined;
  }
  if (list !== undefined && list.length === 0) idle.delete(key);
  return s;
}

function putIdle(key: string, socket: RawSocket): void {
  const list = idle.get(key) ?? [];
  if (list.length >= IDLE_PER_HOST || socket.destroyed) {
    socket.destroy();
    return;
  }
  // closed when idle too long (when this thread's timers run; takeIdle checks the clock anyway)
  socket.setTimeout(KEEP_ALIVE_MS);
  socket.idleSince = Date.now();
  socket.unref();
  list.push(socket);
  idle.set(key, list);
}

function dropIdle(key: string, socket: RawSocket): void {
  const list = idle.get(key);
  const i = list?.indexOf(socket) ?? -1;
  if (i >= 0) list!.splice(i, 1);
  if (list !== undefined && list.length === 0) idle.delete(key);
}

/** Parses a response head (latin1 text before CRLFCRLF): {status, headers (lowercase names), keepAlive} or undefined. */
export function parseHead(text: string): { status: number; headers: Map<string, string>; keepAlive: boolean } | undefined {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
  if (m === null) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const c = line.indexOf(':');
    if (c <= 0) return undefined;
    const name = line.slice(0, c).trim().toLowerCase();
    const value = line.slice(c + 1).trim();
    // a repeated framing header makes the framing ambiguous
    if (headers.has(name) && (name === 'content-length' || name === 'content-range')) return undefined;
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  const connection = (headers.get('connection') ?? '').toLowerCase();
  const keepAlive = m[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  return { status: Number(m[2]), headers, keepAlive };
}

function newSocket(u: URL, key: string): RawSocket {
  // eslint-disable-next-line prefer-const -- assigned below by connect(), whose callbacks (and `stray`) read it
  let socket: RawSocket | undefined;
  // bytes on a connection with no request in flight are a protocol error: it is closed
  const stray = () => {
    socket?.destroy();
    return true;
  };
  socket = connect({
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 80),
    noDelay: true,
    // (a read comes only once `socket` is set)
    onread: { buffer: () => socket?.rawRequest?.next() ?? between, callback: (n, buf) => socket!.rawRequest?.got(n, buf) ?? stray() },
  }) as RawSocket;
  // an idle connection the server closes is dropped from the pool; a request in flight hears it through `close`
  socket.on('error', () => {});
  socket.on('close', () => {
    dropIdle(key, socket);
    socket.rawRequest?.fail('connection closed');
  });
  socket.on('end', () => socket.rawRequest?.fail('connection closed'));
  socket.on('timeout', () => {
    socket.rawRequest?.fail('timeout');
    socket.destroy();
  });
  return socket;
}

/** One request on `socket`: resolves {ok} | {miss, fresh} where fresh says whether no byte of an answer came. */
function exchange(socket: RawSocket, request: string, offset: number, into: Buffer, timeoutMs: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const head = Buffer.allocUnsafe(MAX_HEAD);
    let headLength = 0;
    let body = -1; // bytes of body received; -1 while the head is read
    let answered = false;
    let settled = false;
    const finish = (v: RawAnswer, keep: boolean): void => {
      if (settled) return;
      settled = true;
      socket.rawRequest = undefined;
      if (!keep) socket.destroy();
      resolve(v);
    };
    const miss = (reason: string): boolean => {
      finish({ miss: reason, fresh: !answered }, false);
      return true;
    };
    let keepAlive = false;
    const next = (): Buffer => (body < 0 ? head.subarray(headLength) : body < into.length ? into.subarray(body) : overflow);
    socket.rawRequest = {
      next,
      got: (n, buf) => {
        if (settled) return true;
        answered = true;
        const dest = next();
        if (dest === overflow || n > dest.length) return miss('body too long');
        // read into the buffer chosen before this request (or before the head was parsed): moved to where it belongs
        if (buf.buffer !== dest.buffer || buf.byteOffset !== dest.byteOffset) dest.set(buf.subarray(0, n));
        if (body >= 0) {
          body += n;
        } else {
          headLength += n;
          const at = head.subarray(0, headLength).indexOf(CRLF2);
          if (at < 0) return headLength === MAX_HEAD ? miss('response head too long') : true;
          const parsed = parseHead(head.toString('latin1', 0, at));
          if (parsed === undefined) return miss('bad response head');
          if (parsed.status !== 206) return miss(`storage answered ${parsed.status}`);
          const h = parsed.headers;
          if (h.has('transfer-encoding')) return miss('framed otherwise than by content-length');
          if (h.get('content-length') !== String(into.length)) return miss('another length than asked for');
          if (!isRange(h.get('content-range'), offset, into.length)) return miss('another range than asked for');
          keepAlive = parsed.keepAlive;
          const extra = headLength - at - CRLF2.length;
          if (extra > into.length) return miss('body too long');
          head.copy(into, 0, at + CRLF2.length, headLength);
          body = extra;
        }
        if (body === into.length) finish({ ok: true }, keepAlive);
        // (never false: that would pause a connection kept for the next request)
        return true;
      },
      fail: miss,
    };
    socket.ref();
    socket.setTimeout(timeoutMs);
    socket.write(request);
  });
}

/** GETs bytes [offset, offset + into.length) of the object at `target.url` (http:) into `into`. */
export async function rawGet(target: DirectRequest, offset: number, into: Buffer, timeoutMs: number): Promise<Transferred> {
  let u: URL;
  try {
    u = new URL(target.url);
  } catch {
    return { miss: 'bad url' };
  }
  if (u.protocol !== 'http:') return { miss: 'not an http url' };
  if (into.length === 0) return { miss: 'empty range' };
  const key = u.host;
  const request = `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nRange: bytes=${offset}-${offset + into.length - 1}\r\nConnection: keep-alive\r\n\r\n`;
  for (let attempt = 0; ; attempt++) {
    const reused = takeIdle(key);
    const socket = reused ?? newSocket(u, key);
    const a = await exchange(socket, request, offset, into, timeoutMs);
    if (a.ok) {
      if (!socket.destroyed) putIdle(key, socket);
      return { ok: true };
    }
    // the keep-alive race: a pooled connection the server closed before it read this request
    if (reused === undefined || !a.fresh || attempt > 0) return { miss: a.miss };
  }
}

/** Closes every idle connection (tests; a worker's exit closes them anyway). */
export function closeIdle(): void {
  for (const list of idle.values()) for (const s of list) s.destroy();
  idle.clear();
}
