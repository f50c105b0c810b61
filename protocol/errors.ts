// The one error class of bkv: a stable machine-readable `code`, a short lowercase message that never holds a
// secret, and an optional `cause`. Servers map it to RFC 9457 problem+json (functions/http/problem.ts); the
// client SDK rebuilds it from a problem document so callers can branch on `code`.

export const ERROR_CODES = {
  'bad-request': 400,
  'invalid-token': 401,
  'wrong-password': 401,
  'login-expired': 401,
  'forbidden': 403,
  'not-found': 404,
  'method-not-allowed': 405,
  'conflict': 409,
  'registration-expired': 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'locked': 423,
  'too-many-requests': 429,
  'internal': 500,
  'unavailable': 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base URI of problem `type`s; the `type` of a problem is this prefix plus its code. */
export const PROBLEM_TYPE_PREFIX = 'urn:bkv:problem:';

export interface BkvErrorOptions {
  cause?: unknown;
  /** Extra members for the problem document (never secrets), e.g. `{ attemptsRemaining: 3 }`. */
  details?: Record<string, unknown>;
}

export class BkvError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: BkvErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BkvError';
    this.code = code;
    this.details = options.details ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code];
  }
}

export function isBkvError(e: unknown, code?: ErrorCode): e is BkvError {
  return e instanceof BkvError && (code === undefined || e.code === code);
}
