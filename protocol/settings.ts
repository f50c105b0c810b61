// The one parser of integer settings (CDK context, Lambda environment, local runtime options, CLI environment),
// and the bounds of each deployment setting, declared once: lib/config.ts checks them at synth time, the
// functions at their first call (docs/protocol.md "The guess limit", "Storage API").

import {
  DEFAULT_BACKUP_RETENTION, DEFAULT_MAX_BACKUP_BYTES, DEFAULT_URL_TTL_SECONDS, MAX_CONFIGURABLE_BACKUP_BYTES,
} from './backups-schemas.js';
import { DEFAULT_MAX_ATTEMPTS, MAX_MAX_ATTEMPTS, MIN_MAX_ATTEMPTS } from './constants.js';
import { BkvError } from './errors.js';

export interface IntBounds {
  readonly min: number;
  readonly max: number;
  /** The value when the setting is absent (undefined, null or ''). */
  readonly default: number;
}

/** Guesses per registration (recorded in the vault at registration). */
export const MAX_ATTEMPTS: IntBounds = { min: MIN_MAX_ATTEMPTS, max: MAX_MAX_ATTEMPTS, default: DEFAULT_MAX_ATTEMPTS };
/** Committed backups kept per account. */
export const BACKUP_RETENTION: IntBounds = { min: 1, max: 100, default: DEFAULT_BACKUP_RETENTION };
/** Largest backup in bytes (S3 part count × part size at most). */
export const MAX_BACKUP_BYTES: IntBounds = { min: 1, max: MAX_CONFIGURABLE_BACKUP_BYTES, default: DEFAULT_MAX_BACKUP_BYTES };
/** Lifetime of presigned URLs in seconds (S3 allows a week at most). */
export const URL_TTL_SECONDS: IntBounds = { min: 60, max: 604_800, default: DEFAULT_URL_TTL_SECONDS };

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
