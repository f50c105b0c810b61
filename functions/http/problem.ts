// The one mapper from errors to RFC 9457 problem+json answers. Unknown errors become a bare 500 with no detail;
// a BkvError carries its stable code (type = "urn:bkv:problem:<code>"), its short message and safe details.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BkvError, ERROR_CODES, PROBLEM_TYPE_PREFIX } from '../../protocol/errors.js';
import { isRetryableProblem, PROBLEMS, wireDetails } from '../../protocol/problems.js';

export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

/** The problem document of `error`: only the extra members the wire table declares for its code. */
export function problemBody(error: BkvError): Record<string, unknown> {
  return {
    ...wireDetails(error.code, error.details),
    type: PROBLEM_TYPE_PREFIX + error.code,
    title: PROBLEMS[error.code].title,
    status: ERROR_CODES[error.code],
    detail: error.message,
  };
}

export function toBkvError(e: unknown): BkvError {
  return e instanceof BkvError ? e : new BkvError('internal', 'internal error', { cause: e });
}

export function problemResponse(e: unknown): APIGatewayProxyStructuredResultV2 {
  const error = toBkvError(e);
  const headers: Record<string, string> = { ...SECURITY_HEADERS, 'content-type': 'application/problem+json' };
  if (isRetryableProblem(error.code)) headers['retry-after'] = '1';
  if (error.code === 'invalid-token') headers['www-authenticate'] = 'Bearer';
  return { statusCode: error.status, headers, body: JSON.stringify(problemBody(error)) };
}
