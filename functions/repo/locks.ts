// The repository lock rule as pure functions over the lock list of the account's repo item (functions/ports.ts
// RepoItem): any number of shared holders or one exclusive holder; a lock past its `expiresAt` does not count and
// is dropped at the next write. The service writes the result with one version-checked UpdateItem (MRSC: no
// transactions, no TTL; expiry is by timestamps).

import { MAX_LOCKS } from '../../protocol/repo-schemas.js';
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
    lockId: wanted.lockId, exclusive: wanted.exclusive, ttlSeconds: wanted.ttlSeconds, expiresAt: now + wanted.ttlSeconds * 1000,
    ...(wanted.description !== undefined ? { description: wanted.description } : {}),
  };
  return { ok: true, locks: [...live, lock], lock };
}

/** Extends a live lock by its ttl; undefined when it is expired or gone (lock lost). */
export function refresh(locks: readonly RepoLockEntry[], lockId: string, now: number): { locks: RepoLockEntry[]; lock: RepoLockEntry } | undefined {
  const live = liveLocks(locks, now);
  const found = live.find((l) => l.lockId === lockId);
  if (!found) return undefined;
  const lock = { ...found, expiresAt: now + found.ttlSeconds * 1000 };
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
