// API Gateway HTTP API payload 2.0 events for handler tests, as the JWT authorizer would pass them.
import type { ApiEvent } from '../../functions/http/request.js';

export function apiEvent(opts: { method?: string; path?: string; body?: unknown; sub?: string | null; exp?: number | null; contentType?: string; query?: Record<string, string> }): ApiEvent {
  const method = opts.method ?? 'POST';
  const path = opts.path ?? '/';
  const claims = opts.sub === null ? {} : { sub: opts.sub ?? 'alice', ...(opts.exp === null ? {} : { exp: String(opts.exp ?? 4_000_000_000) }) };
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: '',
    headers: { 'content-type': opts.contentType ?? 'application/json' },
    ...(opts.query ? { queryStringParameters: opts.query } : {}),
    requestContext: {
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims, scopes: [] } },
    },
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
    isBase64Encoded: false,
  } as unknown as ApiEvent;
}
