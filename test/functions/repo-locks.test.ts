// functions/repo/locks.ts: the lock rule (many shared or one exclusive; expired locks do not count), at the exact
// expiry boundary, refresh and release.

import { describe, expect, it } from 'vitest';
import { acquire, holdsExclusive, liveLocks, refresh, release } from '../../functions/repo/locks.js';
import type { RepoLockEntry } from '../../functions/ports.js';
import { BkvError } from '../../protocol/errors.js';
import { MAX_EXCLUSIVE_LOCK_LIFE_S, MAX_LOCKS, MAX_SHARED_LOCK_LIFE_S } from '../../protocol/repo-schemas.js';

const T = 1_000_000;
const held = (lockId: string, exclusive: boolean, expiresAt = T + 1000, description?: string): RepoLockEntry => ({
  lockId, exclusive, expiresAt, ttlSeconds: 60, ...(description !== undefined ? { description } : {}),
});
const want = (exclusive: boolean) => ({ lockId: 'new', exclusive, ttlSeconds: 30 });

describe('repository lock rule', () => {
  it.for([
    ['nothing held', [], false, true],
    ['nothing held', [], true, true],
    ['shared held', [held('a', false)], false, true],
    ['shared held', [held('a', false)], true, false],
    ['exclusive held', [held('a', true)], false, false],
    ['exclusive held', [held('a', true)], true, false],
    ['exclusive expired exactly now', [held('a', true, T)], true, true],
    ['exclusive expiring 1 ms later', [held('a', true, T + 1)], false, false],
  ] as const)('%s: %j wanting exclusive=%s is granted: %s', ([, locks, exclusive, granted]) => {
    const got = acquire(locks, want(exclusive), T);
    expect(got.ok).toBe(granted);
    if (got.ok) {
      expect(got.lock).toEqual({ lockId: 'new', exclusive, ttlSeconds: 30, expiresAt: T + 30_000, createdAt: T });
      expect(got.locks.every((l) => l.expiresAt > T)).toBe(true); // expired ones are dropped
    }
  });

  it('a refusal names the exclusive holder, else the shared one that lives longest', () => {
    const a = acquire([held('a', false, T + 10), held('b', false, T + 50, 'laptop')], want(true), T);
    expect(a).toEqual({ ok: false, reason: 'held', holder: held('b', false, T + 50, 'laptop') });
    const b = acquire([held('s', false), held('x', true, T + 5, 'prune')], want(false), T);
    expect(b).toEqual({ ok: false, reason: 'held', holder: held('x', true, T + 5, 'prune') });
  });

  it(`at most ${MAX_LOCKS} live locks`, () => {
    const many = Array.from({ length: MAX_LOCKS }, (_, i) => held(`s${i}`, false));
    expect(acquire(many, want(false), T)).toEqual({ ok: false, reason: 'too-many' });
    expect(acquire(many.slice(1), want(false), T).ok).toBe(true);
  });

  it('refresh extends a live lock by its ttl; an expired or unknown one is lost', () => {
    const got = refresh([held('a', true, T + 1)], 'a', T);
    expect(got?.lock.expiresAt).toBe(T + 60_000);
    expect(refresh([held('a', true, T)], 'a', T)).toBeUndefined();
    expect(refresh([held('a', true)], 'b', T)).toBeUndefined();
  });

  it('release drops the lock (and expired ones); an unknown one changes nothing', () => {
    expect(release([held('a', false), held('b', false), held('old', false, T)], 'a', T)).toEqual([held('b', false)]);
    expect(release([held('a', false)], 'zzz', T)).toBeUndefined();
  });

  it('holdsExclusive: only a live exclusive lock with that id', () => {
    expect(holdsExclusive([held('a', true)], 'a', T)).toBe(true);
    expect(holdsExclusive([held('a', false)], 'a', T)).toBe(false);
    expect(holdsExclusive([held('a', true, T)], 'a', T)).toBe(false);
    expect(holdsExclusive([held('a', true)], 'b', T)).toBe(false);
    expect(liveLocks([held('a', true, T), held('b', true, T + 1)], T).map((l) => l.lockId)).toEqual(['b']);
  });

  it.for([
    [true, MAX_EXCLUSIVE_LOCK_LIFE_S],
    [false, MAX_SHARED_LOCK_LIFE_S],
  ] as const)('exclusive=%s: refreshes extend a lock up to %i s after it was taken, exactly, and no further (lock-lost)', ([exclusive, life]) => {
    const end = T + life * 1000;
    const lock = { ...held('a', exclusive, end - 10_000), createdAt: T };
    const capped = refresh([lock], 'a', end - 30_000);
    expect(capped?.lock.expiresAt).toBe(end); // 60 s asked, 30 s left: capped at the maximum life
    const e = (() => {
      try {
        return refresh(capped!.locks, 'a', end - 1);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(BkvError);
    expect((e as BkvError).code).toBe('lock-lost');
    expect((e as BkvError).status).toBe(409);
  });

  it('a lock taken before createdAt was recorded starts its maximum life at its first refresh', () => {
    const got = refresh([held('a', true, T + 1)], 'a', T);
    expect(got?.lock.createdAt).toBe(T);
  });
});
