// The one parser of integer settings (CDK context, Lambda environment, local runtime options, CLI environment),
// and the bounds of each deployment setting, declared once: lib/config.ts checks them at synth time, the
// functions at their first call (docs/protocol.md "The guess limit", "Repository API").

import { DEFAULT_MAX_ATTEMPTS, MAX_MAX_ATTEMPTS, MIN_MAX_ATTEMPTS } from './constants.js';
import { BkvError } from './errors.js';
import { DEFAULT_REPO_QUOTA_BYTES, REPO_URL_TTL_SECONDS } from './repo-schemas.js';

export interface IntBounds {
  readonly min: number;
  readonly max: number;
  /** The value when the setting is absent (undefined, null or ''). */
  readonly default: number;
}

/** Guesses per registration (recorded in the vault at registration). */
export const MAX_ATTEMPTS: IntBounds = { min: MIN_MAX_ATTEMPTS, max: MAX_MAX_ATTEMPTS, default: DEFAULT_MAX_ATTEMPTS };
/** Bytes a repository may hold per account (1 MiB to 1 PiB; default 50 GiB). */
export const REPO_QUOTA_BYTES: IntBounds = { min: 2 ** 20, max: 2 ** 50, default: DEFAULT_REPO_QUOTA_BYTES };
/** Lifetime of presigned URLs in seconds (S3 allows a week at most). */
/** Days a deleted repository object stays recoverable (`bkv undelete`): S3 noncurrent versions, the local trash. */
export const DELETED_RETENTION_DAYS: IntBounds = { min: 1, max: 3650, default: 30 };
export const URL_TTL_SECONDS: IntBounds = { min: 60, max: 604_800, default: REPO_URL_TTL_SECONDS };

const DECIMAL = /^\s*\d+\s*$/;

/**
 * `raw` as an integer within `bounds`: a safe integer, or a string of decimal digits (surrounding blanks allowed);
 * `bounds.default` when absent. Anything else throws BkvError('bad-request', "<name> must be an integer from
 * <min> to <max>").
 */
export function intSetting(name: string, raw: unknown, bounds: IntBounds): number {
  if (raw === undefined || raw === null || raw === '') return bounds.default;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
    throw new BkvError('bad-request', `${name} must be an integer from ${bounds.min} to ${bounds.max}`);
  }
  return n;
}
