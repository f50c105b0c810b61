// The wire error table (docs/protocol.md "Errors"): every problem code a bkv server answers, its HTTP status,
// its title, whether a client may send the same request again (`retryable`: nothing was done, and the server
// answers `retry-after`), and the typed extra members (`details`) a problem document of that code carries. The server's
// problem mapper (functions/http/problem.ts) emits exactly these members, the SDK (client/http.ts) parses them
// with these schemas, and test/protocol/problems-table.test.ts holds both and the docs to this table.

import * as z from 'zod';

const count = z.number().int().min(0);

export const PROBLEMS = {
  'bad-request': {
    status: 400, retryable: false, title: 'Bad request',
    details: z.object({ partCount: count.optional(), declaredSize: count.optional(), uploadedSize: count.optional() }),
  },
  'invalid-token': { status: 401, retryable: false, title: 'Missing or invalid token', details: z.object({}) },
  'wrong-password': { status: 401, retryable: false, title: 'Wrong password', details: z.object({ attemptsRemaining: count }) },
  'login-expired': { status: 401, retryable: false, title: 'Login expired', details: z.object({}) },
  'forbidden': { status: 403, retryable: false, title: 'Forbidden', details: z.object({}) },
  'not-found': { status: 404, retryable: false, title: 'Not found', details: z.object({}) },
  'method-not-allowed': { status: 405, retryable: false, title: 'Method not allowed', details: z.object({}) },
  'conflict': { status: 409, retryable: false, title: 'Conflict', details: z.object({}) },
  'registration-expired': { status: 409, retryable: false, title: 'Registration expired', details: z.object({}) },
  'repository-exists': { status: 409, retryable: false, title: 'Repository exists', details: z.object({ repositoryId: z.string() }) },
  'repository-locked': {
    status: 409, retryable: false, title: 'Repository locked',
    details: z.object({ exclusive: z.boolean(), expiresAt: z.string(), description: z.string().optional() }),
  },
  'lock-lost': { status: 409, retryable: false, title: 'Lock lost', details: z.object({}) },
  'signature-required': { status: 403, retryable: false, title: 'Signature required', details: z.object({}) },
  'signature-invalid': { status: 403, retryable: false, title: 'Signature invalid', details: z.object({}) },
  // not retried as it is: the client signs again once, by the server's time (client/repo/storage/signing.ts)
  'signature-expired': { status: 403, retryable: false, title: 'Signature expired', details: z.object({ serverTime: z.string().max(40).optional() }) },
  'signature-replayed': { status: 409, retryable: false, title: 'Signature replayed', details: z.object({}) },
  'signing-key-missing': { status: 409, retryable: false, title: 'Signing key missing', details: z.object({}) },
  'signing-key-mismatch': { status: 409, retryable: false, title: 'Signing key mismatch', details: z.object({}) },
  'quota-exceeded': { status: 413, retryable: false, title: 'Quota exceeded', details: z.object({ quotaBytes: count, usedBytes: count }) },
  'payload-too-large': { status: 413, retryable: false, title: 'Payload too large', details: z.object({ maxSize: count.optional() }) },
  'unsupported-media-type': { status: 415, retryable: false, title: 'Unsupported media type', details: z.object({}) },
  'locked': { status: 423, retryable: false, title: 'Locked', details: z.object({ attemptsRemaining: z.literal(0) }) },
  'too-many-requests': { status: 429, retryable: true, title: 'Too many requests', details: z.object({}) },
  'internal': { status: 500, retryable: false, title: 'Internal error', details: z.object({}) },
  'unavailable': { status: 503, retryable: true, title: 'Service unavailable', details: z.object({}) },
  'insufficient-storage': { status: 507, retryable: true, title: 'Insufficient storage', details: z.object({}) },
} as const satisfies Record<string, { status: number; retryable: boolean; title: string; details: z.ZodObject }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** Base URI of problem `type`s; the `type` of a problem is this prefix plus its code. */
export const PROBLEM_TYPE_PREFIX = 'urn:bkv:problem:';

/**
 * Whether a problem says "nothing was done, try again later" (the table's `retryable` column): `type` is a problem
 * code (`unavailable`) or a problem document's type (`urn:bkv:problem:unavailable`); an unknown one is not.
 */
export function isRetryableProblem(type: string): boolean {
  const code = type.startsWith(PROBLEM_TYPE_PREFIX) ? type.slice(PROBLEM_TYPE_PREFIX.length) : type;
  return Object.hasOwn(PROBLEMS, code) && PROBLEMS[code as ProblemCode].retryable;
}

/** The typed extra members of a problem of code `C`, e.g. `{ attemptsRemaining: number }` for 'wrong-password'. */
export type ProblemDetails<C extends ProblemCode> = z.infer<(typeof PROBLEMS)[C]['details']>;

/** The members of `details` the table declares for `code`, validated; undefined when they do not fit. */
export function wireDetails<C extends ProblemCode>(code: C, details: Record<string, unknown>): ProblemDetails<C> | undefined {
  const parsed = PROBLEMS[code].details.safeParse(details);
  return parsed.success ? (parsed.data as ProblemDetails<C>) : undefined;
}
