// The `retryable` column of the wire error table (protocol/problems.ts): exactly the problems that say "nothing was
// done, try again" are retryable, isRetryableProblem reads codes and problem types alike, and the server's problem
// mapper sends `retry-after` for exactly those codes.

import { describe, expect, it } from 'vitest';
import { problemResponse } from '../../functions/http/problem.js';
import { BkvError, PROBLEM_TYPE_PREFIX } from '../../protocol/errors.js';
import { isRetryableProblem, PROBLEMS, type ProblemCode } from '../../protocol/problems.js';

const CODES = Object.keys(PROBLEMS) as ProblemCode[];

describe('retryable problems', () => {
  it('are too-many-requests, unavailable and insufficient-storage, and no other', () => {
    expect(CODES.filter((c) => isRetryableProblem(c)).sort()).toEqual(['insufficient-storage', 'too-many-requests', 'unavailable']);
  });

  it.for(CODES)('%s: the code and the problem type agree with the table', (code) => {
    expect(isRetryableProblem(code)).toBe(PROBLEMS[code].retryable);
    expect(isRetryableProblem(`${PROBLEM_TYPE_PREFIX}${code}`)).toBe(PROBLEMS[code].retryable);
  });

  it.for(CODES)('%s: the server sends retry-after exactly when it is retryable', (code) => {
    const res = problemResponse(new BkvError(code, 'x'));
    expect(res.headers?.['retry-after'] !== undefined, code).toBe(PROBLEMS[code].retryable);
  });

  it.for(['', 'urn:bkv:problem:', 'urn:other:unavailable', 'toString', '__proto__', 'constructor', 'UNAVAILABLE'])('unknown "%s" is not retryable', (type) => {
    expect(isRetryableProblem(type)).toBe(false);
  });
});
