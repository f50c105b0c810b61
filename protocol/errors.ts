// The one error class of bkv: a stable machine-readable `code`, a short lowercase message that never holds a
// secret, and an optional `cause`. Servers map it to RFC 9457 problem+json (functions/http/problem.ts); the
// client SDK rebuilds it from a problem document so callers can branch on `code`.

import { PROBLEMS, wireDetails, type ProblemCode, type ProblemDetails } from './problems.js';

/** Code → HTTP status, from the wire error table (protocol/problems.ts). */
export const ERROR_CODES: { readonly [C in ProblemCode]: (typeof PROBLEMS)[C]['status'] } = Object.fromEntries(
  Object.entries(PROBLEMS).map(([code, p]) => [code, p.status]),
) as { readonly [C in ProblemCode]: (typeof PROBLEMS)[C]['status'] };

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base URI of problem `type`s (declared with the table, protocol/problems.ts). */
export { PROBLEM_TYPE_PREFIX } from './problems.js';

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

  /** The wire details of this error when it has `code` and they fit the table, e.g. `attemptsRemaining`. */
  wireDetails<C extends ErrorCode>(code: C): ProblemDetails<C> | undefined {
    return this.code === code ? wireDetails(code, this.details) : undefined;
  }
}

export function isBkvError(e: unknown, code?: ErrorCode): e is BkvError {
  return e instanceof BkvError && (code === undefined || e.code === code);
}
