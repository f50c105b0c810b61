// Translation of AWS SDK exceptions into domain errors, shared by the adapters.

import { BkvError } from '../../protocol/errors.js';

const RETRYABLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'ReplicatedWriteConflictException', // MRSC: a concurrent write to the same item in another region
  'InternalServerError',
  'ServiceUnavailable',
  'KMSInternalException',
  'DependencyTimeoutException',
  'LimitExceededException',
  'SlowDown', // S3
  'InternalError', // S3's 500
]);

export function errorName(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'name' in e && typeof e.name === 'string' ? e.name : undefined;
}

/** Maps an SDK error to a BkvError: retryable ones to 'unavailable' (503), the rest to 'internal' (500). */
export function translateAwsError(e: unknown, what: string): BkvError {
  if (e instanceof BkvError) return e;
  const name = errorName(e);
  // The local object store's full disk (S3 itself never answers it).
  if (name === 'InsufficientStorage') return new BkvError('insufficient-storage', 'storage is full; try again later', { cause: e });
  if (name !== undefined && RETRYABLE.has(name)) return new BkvError('unavailable', `${what} is busy, retry`, { cause: e });
  return new BkvError('internal', `${what} failed`, { cause: e });
}
