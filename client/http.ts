// Minimal JSON-over-HTTPS client for the bkv API: bearer token, JSON bodies, and problem+json answers turned
// back into BkvError with the server's stable code and safe details (e.g. attemptsRemaining).

import { ClientError, hostOf } from './errors.js';
import { BkvError, ERROR_CODES, PROBLEM_TYPE_PREFIX, type ErrorCode } from '../protocol/errors.js';
import { wireDetails } from '../protocol/problems.js';
import { routePath, WIRE_ROUTES, type RouteAnswer, type RouteParams, type RouteRequest, type WireRoute, type WireRouteId } from '../protocol/routes.js';
import { Problem } from '../protocol/schemas.js';
import type { z } from 'zod';

/** Gives the bearer token per request; `renew` (optional) gets a fresh one after the server refused the last. */
export interface TokenProvider {
  token(): Promise<string>;
  renew?(stale: string): Promise<string>;
}

/** A fixed token, a function asked before every request, or a provider that can also renew (client/auth/). */
export type TokenSource = string | (() => Promise<string>) | TokenProvider;

export interface ApiOptions {
  /** Base URL, e.g. http://127.0.0.1:8787 or https://abc.execute-api.us-east-1.amazonaws.com */
  server: string;
  token: TokenSource;
  fetch?: typeof fetch;
}

function problemCode(type: string): ErrorCode | undefined {
  if (!type.startsWith(PROBLEM_TYPE_PREFIX)) return undefined;
  const code = type.slice(PROBLEM_TYPE_PREFIX.length);
  return code in ERROR_CODES ? (code as ErrorCode) : undefined;
}

/** What a call of route `Id` takes: its body when the route has one, its path and query parameters. */
export type CallOptions<Id extends WireRouteId> = RouteParams<Id>
  & ([RouteRequest<Id>] extends [undefined] ? { body?: undefined } : { body: RouteRequest<Id> })
  & {
    /** Send the call but do not read its answer (a call made to be refused). */ discardAnswer?: boolean;
    /** Extra request headers (a signed request's Bkv-Signature). */ headers?: Record<string, string>;
  };
type CallArgs<Id extends WireRouteId> = Record<never, never> extends CallOptions<Id> ? [options?: CallOptions<Id>] : [options: CallOptions<Id>];

export class ApiClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: ApiOptions) {
    this.fetchImpl = options.fetch ?? fetch;
  }

  async token(): Promise<string> {
    const source = this.options.token;
    return typeof source === 'string' ? source : typeof source === 'function' ? source() : source.token();
  }

  /** `headers`: extra request headers (a repository request's `Bkv-Signature`, docs/protocol.md "Signed requests"). */
  async request<S extends z.ZodType>(method: string, path: string, body: unknown, schema: S, headers?: Record<string, string>): Promise<z.infer<S>>;
  async request(method: string, path: string, body?: unknown, schema?: undefined, headers?: Record<string, string>): Promise<undefined>;
  async request(method: string, path: string, body?: unknown, schema?: z.ZodType, headers?: Record<string, string>): Promise<unknown> {
    let token = await this.token();
    let { res, text } = await this.send(method, path, body, token, headers);
    // A token refused as invalid (expired early, revoked, clock skew): renew it once and try again. A refused
    // token never reached a handler, so nothing was counted or changed.
    const source = this.options.token;
    if (res.status === 401 && typeof source === 'object' && source.renew) {
      token = await source.renew(token);
      ({ res, text } = await this.send(method, path, body, token, headers));
    }
    if (!res.ok) throw toError(res.status, text);
    if (!schema) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ClientError('bad-answer', 'server answered with invalid json', { from: 'server', status: res.status });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ClientError('bad-answer', 'server answer does not match the protocol', { from: 'server', status: res.status });
    return parsed.data;
  }

  /**
   * A call of the wire route `id` (protocol/routes.ts): method and path from the table, the answer checked
   * against the route's answer schema and typed by it (a route without one answers `undefined`).
   */
  async call<Id extends WireRouteId>(id: Id, ...[options]: CallArgs<Id>): Promise<RouteAnswer<Id>> {
    const route: WireRoute = WIRE_ROUTES[id];
    const path = routePath(id, options as RouteParams<Id> | undefined);
    const body = (options as { body?: unknown } | undefined)?.body;
    const headers = options?.headers;
    if (route.answer === undefined || options?.discardAnswer === true) {
      return await this.request(route.method, path, body, undefined, headers) as RouteAnswer<Id>;
    }
    return await this.request(route.method, path, body, route.answer, headers) as RouteAnswer<Id>;
  }

  private async send(method: string, path: string, body: unknown, token: string, extra?: Record<string, string>): Promise<{ res: Response; text: string }> {
    const headers: Record<string, string> = { ...extra, authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await this.fetchImpl(new URL(path, this.options.server), {
        method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (e) {
      const host = hostOf(this.options.server);
      throw new ClientError('unreachable', `cannot reach ${host}`, { host }, { cause: e });
    }
    return { res, text: await res.text() };
  }
}

/** A problem answer as a BkvError: its code, and the details the wire table declares for that code (typed). */
export function toError(status: number, text: string): BkvError {
  let problem: (z.infer<typeof Problem> & Record<string, unknown>) | undefined;
  try {
    const parsed = Problem.safeParse(JSON.parse(text));
    if (parsed.success) problem = parsed.data;
  } catch {
    problem = undefined;
  }
  const code = (problem && problemCode(problem.type))
    ?? (status === 401 ? 'invalid-token' : status === 404 ? 'not-found' : status >= 500 ? 'unavailable' : 'bad-request');
  const details = problem ? wireDetails(code, problem) ?? {} : {};
  return new BkvError(code, problem?.detail ?? `server answered ${status}`, { details });
}

/** The `sub` claim of a JWT, read without verifying it (the server verifies; the client only needs its id). */
export function tokenSubject(token: string): string {
  const payload = token.split('.')[1];
  try {
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    if (typeof claims.sub === 'string' && claims.sub !== '') return claims.sub;
  } catch {
    // fall through
  }
  throw new ClientError('usage', 'token has no subject; pass accountId');
}
