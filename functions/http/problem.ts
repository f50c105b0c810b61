// The one mapper from errors to RFC 9457 problem+json answers. Unknown errors become a bare 500 with no detail;
// a BkvError carries its stable code (type = "urn:bkv:problem:<code>"), its short message and safe details.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { BkvError, ERROR_CODES, PROBLEM_TYPE_PREFIX, type ErrorCode } from '../../protocol/errors.js';

const TITLES: Record<ErrorCode, string> = {
  'bad-request': 'Bad request',
  'invalid-token': 'Missing or invalid token',
  'wrong-password': 'Wrong password',
  'login-expired': 'Login expired',
  'forbidden': 'Forbidden',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  'conflict': 'Conflict',
  'registration-expired': 'Registration expired',
  'payload-too-large': 'Payload too large',
  'unsupported-media-type': 'Unsupported media type',
  'locked': 'Locked',
  'too-many-requests': 'Too many requests',
  'internal': 'Internal error',
  'unavailable': 'Service unavailable',
};

export const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

export function problemBody(error: BkvError): Record<string, unknown> {
  return {
    ...error.details,
    type: PROBLEM_TYPE_PREFIX + error.code,
    title: TITLES[error.code],
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
  if (error.code === 'unavailable' || error.code === 'too-many-requests') headers['retry-after'] = '1';
  if (error.code === 'invalid-token') headers['www-authenticate'] = 'Bearer';
  return { statusCode: error.status, headers, body: JSON.stringify(problemBody(error)) };
}
