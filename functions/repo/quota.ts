// How the per-account quota is counted (docs/protocol.md "Usage and quota"). The bound it keeps: what the account
// stores, plus what its upload URLs that are still valid could still add, never passes the quota (the `config`
// object, at most 64 KiB, aside). Bytes are reserved when upload URLs are handed out (the exact signed lengths, one
// conditional ADD) and stay in the usage until a recount. A recount (at every exclusive lock) sets the usage to the
// stored sizes **plus every reservation whose URLs may still be used**: those are kept in two slots, one per period
// of `URL lifetime + UPLOAD_GRACE_MS`, so at any time a slot of the current and one of the previous period can count
// and older ones are reused (one item, no TTL: expiry only by the timestamps inside the conditions). A delete
// releases the real sizes of what it removed, exactly once (under the delete lease, service.ts), and only for objects
// written before any still-valid URL could have written them: a younger object could be written again by its URL,
// so its bytes stay counted until the next recount after the URLs expired. Pure helpers; the service does the writes.

import { BkvError } from '../../protocol/errors.js';
import type { RepoItem, RepoReservation } from '../ports.js';

/**
 * Margin after a URL's expiry: an upload that started in time may still be arriving, and the clocks of S3 and of
 * the functions may differ (SigV4 allows 15 minutes of skew).
 */
export const UPLOAD_GRACE_MS = 15 * 60_000;

export function quotaExceeded(quotaBytes: number, usedBytes: number): BkvError {
  return new BkvError('quota-exceeded', `the repository would exceed its quota of ${quotaBytes} bytes`, {
    details: { quotaBytes, usedBytes },
  });
}

export function sumSizes(objects: readonly { size: number }[]): number {
  return objects.reduce((n, o) => n + o.size, 0);
}

/**
 * The slot a reservation made at `now` goes to, and until when it must count. Periods are `ttl + grace` long; a URL
 * handed out in period p expires (grace included) before the end of period p + 1, so the slot of p counts until then
 * and the slot of p + 2 (the same one) may start again.
 */
export function reservationSlot(now: number, urlTtlSeconds: number): { slot: 0 | 1; countsUntil: number } {
  const period = urlTtlSeconds * 1000 + UPLOAD_GRACE_MS;
  const p = Math.floor(now / period);
  return { slot: (p % 2) as 0 | 1, countsUntil: (p + 2) * period };
}

/** Bytes of reservations whose URLs may still be used at `now`. */
export function liveReserved(reservations: readonly RepoReservation[], now: number): number {
  return reservations.reduce((n, r) => (r.countsUntil > now ? n + r.bytes : n), 0);
}

/**
 * Whether a delete may release an object's size: only if it was written before any URL still valid at `now` was
 * handed out (grace included). A younger one may have been written by a URL that can write it again after the delete.
 */
export function releasable(lastModified: number, now: number, urlTtlSeconds: number): boolean {
  return lastModified <= now - urlTtlSeconds * 1000 - UPLOAD_GRACE_MS;
}

/** A delete lease is live until its expiry. */
export function leaseLive(item: RepoItem | undefined, now: number): boolean {
  return item?.deleteLease !== undefined && item.deleteLease.expiresAt > now;
}
