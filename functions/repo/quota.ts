// How the per-account quota is counted (docs/protocol.md "Usage and quota"): bytes are reserved when upload URLs are
// handed out (the exact signed lengths, one conditional ADD), released by the real sizes of deleted objects, and
// recounted from a full listing whenever an exclusive lock is taken, which corrects uploads that never happened and
// retried uploads of one name. Pure helpers; the service does the writes.

import { BkvError } from '../../protocol/errors.js';

export function quotaExceeded(quotaBytes: number, usedBytes: number): BkvError {
  return new BkvError('quota-exceeded', `the repository would exceed its quota of ${quotaBytes} bytes`, {
    details: { quotaBytes, usedBytes },
  });
}

export function sumSizes(objects: readonly { size: number }[]): number {
  return objects.reduce((n, o) => n + o.size, 0);
}
