// Keep-alive agents whose idle connections are never reused after the server may have closed them, for every
// HTTP client of bkv (client/node-fetch.ts, client/repo/storage/http-store.ts, and on the blob workers
// client/repo/storage/direct.ts; client/repo/storage/raw-get.ts keeps its own connections by the same rule). A blob
// worker loads it as part of its script (client/worker-script.ts: its bundle in the CLI, under tsx from source).
//
// Why not node:http's Agent as it is: its idle timer is a timer, and a timer does not fire while the event loop
// is busy. A restore that walks 200,000 files without an API call keeps the loop busy for seconds; the server
// (the local runtime closes idle connections after 5 s) has closed the connection meanwhile, and the next
// request went out on it: "socket hang up" (docs/benchmarks.md, the 200k-file restore). So here a connection
// that has been idle longer than its limit is closed when a request would take it, by the clock, whatever the
// timers did; the limit is KEEP_ALIVE_MS, or less when the server announced less (`Keep-Alive: timeout=N`: N
// seconds minus one, Node's own rule). And the timer still closes idle connections when the loop is free.
// What remains is the true race (a server that closes at the very moment a request leaves): `staleReuse` names
// that case, and the callers retry it as their rules allow (node-fetch.ts: idempotent methods at once;
// http-store.ts: retry-safe calls with backoff).

import { Agent as HttpAgent, type AgentOptions as HttpAgentOptions, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * How long a connection may sit idle and still be reused (ms): below the 5 s after which Node's HTTP servers
 * (the local runtime's among them) and Apache close an idle connection; S3, API Gateway and CloudFront wait longer.
 */
export const KEEP_ALIVE_MS = 4000;

export interface FreshAgentOptions extends HttpsAgentOptions, HttpAgentOptions {
  /** How long an idle connection may be reused (ms); default KEEP_ALIVE_MS. */
  keepAliveMs?: number;
}

const IDLE_SINCE = Symbol('bkv.idleSince');
const IDLE_LIMIT = Symbol('bkv.idleLimit');

/** A socket as an agent keeps it: when it became idle and for how long it may be reused (ms). */
interface KeptSocket extends Socket {
  [IDLE_SINCE]?: number;
  [IDLE_LIMIT]?: number;
  /** node:http's own (undocumented): the request on this socket, whose answer `res` is. */
  _httpMessage?: { res?: IncomingMessage | null } | null;
}

/**
 * What this file uses of node:http's Agent beyond its declared types: `keepSocketAlive` answers whether it kept the
 * socket (its types say void), and `addRequest` (undocumented) is where a request takes a socket.
 */
interface AgentInternals {
  keepSocketAlive(socket: Duplex): boolean;
  addRequest(req: ClientRequest, options: unknown, ...rest: unknown[]): void;
}

/** The idle limit a server announced in its last answer on `socket` (ms), if any. */
function announced(socket: KeptSocket): number | undefined {
  // the answer whose end freed the socket (what node:http's own keepSocketAlive reads the hint from)
  const hint = socket._httpMessage?.res?.headers?.['keep-alive'];
  const seconds = typeof hint === 'string' ? /(?:^|[\s,])timeout=(\d+)/.exec(hint)?.[1] : undefined;
  return seconds === undefined ? undefined : Number(seconds) * 1000 - 1000;
}

/** `Base` (node:http's or node:https's Agent) keeping idle sockets by the rules above. */
function freshAgent<A extends HttpAgent>(Base: new (options?: HttpsAgentOptions) => A): new (options?: FreshAgentOptions) => A {
  // a class cannot extend a constructor of a generic instance type (TS2509): typed here as what the class uses
  return class extends (Base as unknown as new (options?: HttpsAgentOptions) => AgentInternals & HttpAgent) {
    // `declare`: set in the constructor, no class field emitted (the compiled class stays as it was)
    declare keepAliveMs: number;

    constructor(options: FreshAgentOptions = {}) {
      const { keepAliveMs = KEEP_ALIVE_MS, ...rest } = options;
      super({ ...rest, keepAlive: true });
      this.keepAliveMs = keepAliveMs;
    }

    override keepSocketAlive(socket: KeptSocket): boolean {
      const hint = announced(socket);
      if (!super.keepSocketAlive(socket)) return false;
      const limit = Math.min(this.keepAliveMs, hint ?? Infinity);
      if (limit <= 0) return false;
      socket[IDLE_SINCE] = Date.now();
      socket[IDLE_LIMIT] = limit;
      socket.setTimeout(limit); // the agent closes a free socket whose timer fires, when the loop lets it
      return true;
    }

    override addRequest(req: ClientRequest, options: unknown, ...rest: unknown[]): void {
      // by the clock: idle sockets past their limit are closed before one is chosen (the agent skips closed ones
      // at the front of its list, and the oldest are at the front)
      const now = Date.now();
      // (a free list is never undefined: node:http deletes an emptied one)
      for (const list of Object.values(this.freeSockets) as KeptSocket[][]) {
        for (const s of list) if (now - (s[IDLE_SINCE] ?? now) >= (s[IDLE_LIMIT] ?? 0)) s.destroy();
      }
      return super.addRequest(req, options, ...rest);
    }
  } as unknown as new (options?: FreshAgentOptions) => A;
}

export const FreshHttpAgent = freshAgent(HttpAgent);
export const FreshHttpsAgent = freshAgent(HttpsAgent);

/** An http and an https agent (`maxSockets` each, idle connections reused for at most `keepAliveMs`). */
export function keepAliveAgents(options: FreshAgentOptions = {}): { http: HttpAgent; https: HttpsAgent } {
  return { http: new FreshHttpAgent(options), https: new FreshHttpsAgent(options) };
}

/** How a connection the server closed shows (node:http's "socket hang up" is ECONNRESET). */
const CLOSED: ReadonlySet<string | undefined> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * Whether `req` failed with `error` on a kept-alive connection that was closed before any byte of an answer came:
 * the server had closed it, or closed it as the request left (not a timeout: a slow server is not retried here).
 * The request may be sent again on a new connection (when its method or the caller's rules allow a retry).
 */
export function staleReuse(req: ClientRequest, answered: boolean, error: unknown): boolean {
  return req.reusedSocket === true && !answered && CLOSED.has((error as NodeJS.ErrnoException | undefined)?.code);
}
