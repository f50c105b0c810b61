// Builds the API Gateway HTTP API payload 2.0 event that AWS would hand a Lambda for a request, with the JWT
// authorizer's claims, so the local runtime runs the very same handlers.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { JWTPayload } from 'jose';
import type { ApiEvent } from '../functions/http/request.js';

export interface EventInput {
  req: IncomingMessage;
  url: URL;
  routeKey: string;
  pathParameters: Record<string, string>;
  claims: JWTPayload;
  body: Buffer;
}

function utf8(body: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return undefined;
  }
}

export function buildEvent({ req, url, routeKey, pathParameters, claims, body }: EventInput): ApiEvent {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const text = utf8(body);
  const now = Date.now();
  const stringClaims: Record<string, string | number | boolean | string[]> = {};
  for (const [k, v] of Object.entries(claims)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') stringClaims[k] = v;
  }
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: stringClaims, scopes: [] } },
    },
    ...(body.length > 0 ? { body: text ?? body.toString('base64'), isBase64Encoded: text === undefined } : { isBase64Encoded: false }),
  } as ApiEvent;
}
