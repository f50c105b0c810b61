// The one retry policy of the repository's traffic (http-store.ts applies it; the blob workers' transfers try once
// and hand a failure back to it). Which failure is worth another try:
// - an API answer (a problem document): its problem's `retryable` column (protocol/problems.ts isRetryableProblem):
//   the server did nothing and says so (503, 507, 429), whatever the call;
// - a storage answer (S3 or the local object store: no problem document, a raw status): the statuses of those
//   same retryable problems, plus the transient 5xx answers of S3 and the gateways before it (500 InternalError,
//   502, 504), which AWS says to retry; STORAGE_RETRY_STATUSES is that one table;
// - no answer at all (ClientError `unreachable`: the API not reached, or its answer lost): only for a retry-safe
//   call, whose second try cannot act twice (reads, URL requests, lock refreshes; not a lock's creation or a deletion);
// - a sign-in renewal that failed after the API refused the token (client/http.ts renews once on a 401): a
//   `sign-in` error (the identity provider refused the refresh, or the device is signed out) is never retried, as
//   another try asks the same question; an `unreachable` one (the identity provider not reached) follows the rule
//   above: retried for a retry-safe call only, as the retry layer cannot tell which host was not reached.
// Everything else (a refusal, a bad answer, a local failure) fails at once.

import { isBkvError } from '../../../protocol/errors.js';
import { isRetryableProblem, PROBLEMS, type ProblemCode } from '../../../protocol/problems.js';
import { isClientError } from '../../errors.js';

/** S3's (and its gateways') transient answers, retried as its documentation says, beside the retryable problems. */
const STORAGE_TRANSIENT = [500, 502, 504] as const;

/** The raw statuses of a storage answer worth another try: the retryable problems' statuses and STORAGE_TRANSIENT. */
export const STORAGE_RETRY_STATUSES: ReadonlySet<number> = new Set([
  ...(Object.keys(PROBLEMS) as ProblemCode[]).filter((c) => PROBLEMS[c].retryable).map((c) => PROBLEMS[c].status),
  ...STORAGE_TRANSIENT,
]);

/** Whether a storage answer of this status is worth another try. */
export function isRetryableStorageStatus(status: number): boolean {
  return STORAGE_RETRY_STATUSES.has(status);
}

/** Whether an API call that failed with `e` may be sent again; `safe`: the call is retry-safe (see above). */
export function isRetryableApiFailure(e: unknown, safe: boolean): boolean {
  if (isBkvError(e)) return isRetryableProblem(e.code);
  return safe && isClientError(e, 'unreachable');
}
