// The wire error table (docs/protocol.md "Errors"): every problem code a bkv server answers, its HTTP status,
// its title, and the typed extra members (`details`) a problem document of that code carries. The server's
// problem mapper (functions/http/problem.ts) emits exactly these members, the SDK (client/http.ts) parses them
// with these schemas, and test/protocol/problems-table.test.ts holds both and the docs to this table.

import * as z from 'zod';

const count = z.number().int().min(0);

export const PROBLEMS = {
  'bad-request': {
    status: 400, title: 'Bad request',
    details: z.object({ partCount: count.optional(), declaredSize: count.optional(), uploadedSize: count.optional() }),
  },
  'invalid-token': { status: 401, title: 'Missing or invalid token', details: z.object({}) },
  'wrong-password': { status: 401, title: 'Wrong password', details: z.object({ attemptsRemaining: count }) },
  'login-expired': { status: 401, title: 'Login expired', details: z.object({}) },
  'forbidden': { status: 403, title: 'Forbidden', details: z.object({}) },
  'not-found': { status: 404, title: 'Not found', details: z.object({}) },
  'method-not-allowed': { status: 405, title: 'Method not allowed', details: z.object({}) },
  'conflict': { status: 409, title: 'Conflict', details: z.object({}) },
  'registration-expired': { status: 409, title: 'Registration expired', details: z.object({}) },
  'repository-exists': { status: 409, title: 'Repository exists', details: z.object({ repositoryId: z.string() }) },
  'repository-locked': {
    status: 409, title: 'Repository locked',
    details: z.object({ exclusive: z.boolean(), expiresAt: z.string(), description: z.string().optional() }),
  },
  'lock-lost': { status: 409, title: 'Lock lost', details: z.object({}) },
  'signature-required': { status: 403, title: 'Signature required', details: z.object({}) },
  'signature-invalid': { status: 403, title: 'Signature invalid', details: z.object({}) },
  'signature-expired': { status: 403, title: 'Signature expired', details: z.object({ serverTime: z.string().max(40).optional() }) },
  'signature-replayed': { status: 409, title: 'Signature replayed', details: z.object({}) },
  'signing-key-missing': { status: 409, title: 'Signing key missing', details: z.object({}) },
  'signing-key-mismatch': { status: 409, title: 'Signing key mismatch', details: z.object({}) },
  'quota-exceeded': { status: 413, title: 'Quota exceeded', details: z.object({ quotaBytes: count, usedBytes: count }) },
  'payload-too-large': { status: 413, title: 'Payload too large', details: z.object({ maxSize: count.optional() }) },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type', details: z.object({}) },
  'locked': { status: 423, title: 'Locked', details: z.object({ attemptsRemaining: z.literal(0) }) },
  'too-many-requests': { status: 429, title: 'Too many requests', details: z.object({}) },
  'internal': { status: 500, title: 'Internal error', details: z.object({}) },
  'unavailable': { status: 503, title: 'Service unavailable', details: z.object({}) },
  'insufficient-storage': { status: 507, title: 'Insufficient storage', details: z.object({}) },
} as const satisfies Record<string, { status: number; title: string; details: z.ZodObject }>;

export type ProblemCode = keyof typeof PROBLEMS;

/** The typed extra members of a problem of code `C`, e.g. `{ attemptsRemaining: number }` for 'wrong-password'. */
export type ProblemDetails<C extends ProblemCode> = z.infer<(typeof PROBLEMS)[C]['details']>;

/** The members of `details` the table declares for `code`, validated; undefined when they do not fit. */
export function wireDetails<C extends ProblemCode>(code: C, details: Record<string, unknown>): ProblemDetails<C> | undefined {
  const parsed = PROBLEMS[code].details.safeParse(details);
  return parsed.success ? (parsed.data as ProblemDetails<C>) : undefined;
}
