// The repository lock rule as pure functions over the lock list of the account's repo item (functions/ports.ts
// RepoItem): any number of shared holders or one exclusive holder; a lock past its `expiresAt` does not count and
// is dropped at the next write, and none lives longer than its maximum life in total (taken at `createdAt`; a
// refresh that can extend it no further is refused), so a token holder cannot keep the owner's devices out for the
// token's whole life with one lock. The service writes the result with one version-checked UpdateItem (MRSC: no
// transactions, no TTL; expiry is by timestamps).

import { BkvError } from '../../protocol/errors.js';
import { MAX_EXCLUSIVE_LOCK_LIFE_S, MAX_LOCKS, MAX_SHARED_LOCK_LIFE_S } from '../../protocol/repo-schemas.js';
import type { RepoLockEntry } from '../ports.js';

export interface LockWanted {
  lockId: string;
  exclusive: boolean;
  ttlSeconds: number;
  description?: string;
}

export type Acquired =
  | { ok: true; locks: RepoLockEntry[]; lock: RepoLockEntry }
  | { ok: false; reason: 'held'; holder: RepoLockEntry }
  | { ok: false; reason: 'too-many' };

export function liveLocks(locks: readonly RepoLockEntry[], now: number): RepoLockEntry[] {
  return locks.filter((l) => l.expiresAt > now);
}

/** The holder to name in a refusal: the exclusive one, else the shared one that lives longest. */
function blocking(live: readonly RepoLockEntry[]): RepoLockEntry | undefined {
  return live.find((l) => l.exclusive) ?? [...live].sort((a, b) => b.expiresAt - a.expiresAt)[0];
}

export function acquire(locks: readonly RepoLockEntry[], wanted: LockWanted, now: number): Acquired {
  const live = liveLocks(locks, now);
  const holder = wanted.exclusive ? blocking(live) : live.find((l) => l.exclusive);
  if (holder) return { ok: false, reason: 'held', holder };
  if (live.length >= MAX_LOCKS) return { ok: false, reason: 'too-many' };
  const lock: RepoLockEntry = {
    lockId: wanted.lockId, exclusive: wanted.exclusive, ttlSeconds: wanted.ttlSeconds, expiresAt: Math.min(now + wanted.ttlSeconds * 1000, now + maxLifeMs(wanted.exclusive)),
    ...(wanted.description !== undefined ? { description: wanted.description } : {}), createdAt: now,
  };
  return { ok: true, locks: [...live, lock], lock };
}

/** Total life of a lock, refreshes included. */
export function maxLifeMs(exclusive: boolean): number {
  return (exclusive ? MAX_EXCLUSIVE_LOCK_LIFE_S : MAX_SHARED_LOCK_LIFE_S) * 1000;
}

/**
 * Extends a live lock by its ttl, up to its maximum life; undefined when it is expired or gone (lock lost). A lock
 * already at its maximum life is refused (BkvError lock-lost, 409): its holder must stop and take a new one.
 */
export function refresh(locks: readonly RepoLockEntry[], lockId: string, now: number): { locks: RepoLockEntry[]; lock: RepoLockEntry } | undefined {
  const live = liveLocks(locks, now);
  const found = live.find((l) => l.lockId === lockId);
  if (!found) return undefined;
  // a lock taken before createdAt was recorded starts its maximum life at its first refresh
  const createdAt = found.createdAt ?? now;
  const end = createdAt + maxLifeMs(found.exclusive);
  if (found.expiresAt >= end) {
    throw new BkvError('lock-lost', `the lock reached its maximum life of ${maxLifeMs(found.exclusive) / 3_600_000} hours: take a new one`);
  }
  const lock = { ...found, createdAt, expiresAt: Math.min(now + found.ttlSeconds * 1000, end) };
  return { locks: live.map((l) => (l.lockId === lockId ? lock : l)), lock };
}

/** The list without `lockId` (and without expired locks); undefined when there is nothing to change. */
export function release(locks: readonly RepoLockEntry[], lockId: string, now: number): RepoLockEntry[] | undefined {
  if (!locks.some((l) => l.lockId === lockId)) return undefined;
  return liveLocks(locks, now).filter((l) => l.lockId !== lockId);
}

export function holdsExclusive(locks: readonly RepoLockEntry[], lockId: string, now: number): boolean {
  return liveLocks(locks, now).some((l) => l.lockId === lockId && l.exclusive);
}
