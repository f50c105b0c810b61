// Thin handler plumbing: a route implementation turns a parsed event into a Reply; `respond` runs it, maps any
// error through the problem mapper and reports the outcome to an observer (logs and metrics, never bodies).

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiEvent } from './request.js';
import { problemResponse, SECURITY_HEADERS, toBkvError } from './problem.js';

export interface Reply {
  status: number;
  body?: unknown;
}

export type RouteImpl = (event: ApiEvent) => Promise<Reply>;

export interface Outcome {
  route: string;
  status: number;
  /** The problem code of a 4xx/5xx answer. */
  code?: string;
  ms: number;
  /** The error behind a 5xx answer, for the operator's log only. */
  error?: unknown;
}

export type Observer = (outcome: Outcome) => void;

export function jsonResult(reply: Reply): APIGatewayProxyStructuredResultV2 {
  if (reply.body === undefined) return { statusCode: reply.status, headers: { ...SECURITY_HEADERS } };
  return {
    statusCode: reply.status,
    headers: { ...SECURITY_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify(reply.body),
  };
}

export async function respond(route: string, impl: RouteImpl, event: ApiEvent, observe?: Observer): Promise<APIGatewayProxyStructuredResultV2> {
  const started = performance.now();
  try {
    const result = jsonResult(await impl(event));
    observe?.({ route, status: result.statusCode ?? 200, ms: performance.now() - started });
    return result;
  } catch (e) {
    const error = toBkvError(e);
    const result = problemResponse(error);
    const status = result.statusCode ?? 500;
    observe?.({ route, status, code: error.code, ms: performance.now() - started, ...(status >= 500 ? { error: e } : {}) });
    return result;
  }
}
