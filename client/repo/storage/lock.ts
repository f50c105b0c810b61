// A repository lock held for the length of an operation (shared for backup, exclusive for forget, prune and
// check's repairs): refreshed every ttl/3; when a refresh fails the lock counts as lost, the operation's signal
// aborts and `assertHeld` throws, so nothing is committed without a live lock. A refusal names the holder in
// sanitised words labelled as the other device's (lockedByAnother).

import { BkvError, isBkvError } from '../../../protocol/errors.js';
import { DEFAULT_LOCK_TTL_S, MAX_EXCLUSIVE_LOCK_LIFE_S, MAX_SHARED_LOCK_LIFE_S } from '../../../protocol/repo-schemas.js';
import { printable } from '../../printable.js';
import type { RepoLock, RepoStore } from './store.js';

/**
 * The refusal of a lock as this device tells it: the holder's description is another device's words (or anyone's
 * with the account's token), so it is sanitised, cut short and quoted as theirs, never printed as bkv's own text;
 * the server's own message (which quotes it too) is not shown at all.
 */
export function lockedByAnother(e: BkvError): BkvError {
  const d = e.details as { exclusive?: unknown; expiresAt?: unknown; description?: unknown };
  const until = typeof d.expiresAt === 'string' && !Number.isNaN(Date.parse(d.expiresAt)) ? new Date(d.expiresAt).toISOString() : undefined;
  const says = typeof d.description === 'string' && printable(d.description) !== '' ? `, which says: "${printable(d.description)}"` : '';
  const how = d.exclusive === true ? 'locked exclusively by another device' : 'in use by another device';
  const hours = (d.exclusive === true ? MAX_EXCLUSIVE_LOCK_LIFE_S : MAX_SHARED_LOCK_LIFE_S) / 3600;
  return new BkvError('repository-locked', `the repository is ${how}${says} (the words are that device's, not bkv's). `
    + `it ends ${until !== undefined ? `at ${until} ` : ''}unless renewed, and after ${hours} hours at most: retry then. `
    + 'if a bkv command of yours on this machine was killed, bkv unlock removes its lock now; '
    + 'if that device is gone, bkv unlock --remove-all removes every lock (it needs your backup key; a command still running stops); '
    + 'if no device of yours is running a bkv command, someone else holds your sign-in: sign out everywhere at your identity provider', { details: e.details, cause: e });
}

export class HeldLock {
  private timer: NodeJS.Timeout | undefined;
  private lost: Error | undefined;
  private readonly controller = new AbortController();
  private lock: RepoLock;

  private constructor(private readonly store: RepoStore, lock: RepoLock, private readonly ttlSeconds: number) {
    this.lock = lock;
    this.timer = setInterval(() => void this.refresh(), (ttlSeconds * 1000) / 3);
    this.timer.unref();
  }

  static async take(store: RepoStore, exclusive: boolean, description: string, options: { signal?: AbortSignal; ttlSeconds?: number } = {}): Promise<HeldLock> {
    const ttl = options.ttlSeconds ?? DEFAULT_LOCK_TTL_S;
    options.signal?.throwIfAborted();
    // The request is not cut short by the signal: the server may make the lock after the client gave up on the
    // answer, and that lock would shut other devices out until it expires (an exclusive one: every backup).
    // Once the answer is here, an operation cancelled meanwhile releases the lock at once.
    let lock: RepoLock;
    try {
      lock = await store.lock({ exclusive, ttlSeconds: ttl, description });
    } catch (e) {
      throw isBkvError(e, 'repository-locked') ? lockedByAnother(e) : e;
    }
    if (options.signal?.aborted) {
      await store.unlock(lock.lockId).catch(() => undefined);
      throw options.signal.reason;
    }
    return new HeldLock(store, lock, ttl);
  }

  get id(): string {
    return this.lock.lockId;
  }

  /** Aborts when the lock is lost. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  async refresh(): Promise<void> {
    if (this.lost !== undefined) return;
    try {
      this.lock = await this.store.refresh(this.lock.lockId);
    } catch (e) {
      if (Date.now() < this.lock.expiresAt && !(e instanceof BkvError && e.code === 'lock-lost')) return; // retry at the next tick
      this.lost = new BkvError('lock-lost', 'the repository lock was lost (expired or removed): nothing was committed', { cause: e });
      this.controller.abort(this.lost);
    }
  }

  assertHeld(): void {
    if (this.lost !== undefined) throw this.lost;
    if (Date.now() >= this.lock.expiresAt) {
      this.lost = new BkvError('lock-lost', 'the repository lock expired: nothing was committed');
      this.controller.abort(this.lost);
      throw this.lost;
    }
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.store.unlock(this.lock.lockId).catch(() => undefined);
  }
}

export async function withLock<T>(
  store: RepoStore, exclusive: boolean, description: string, signal: AbortSignal | undefined, fn: (lock: HeldLock, signal: AbortSignal) => Promise<T>,
  ttlSeconds?: number,
): Promise<T> {
  const lock = await HeldLock.take(store, exclusive, description, { signal, ttlSeconds });
  const combined = signal === undefined ? lock.signal : AbortSignal.any([signal, lock.signal]);
  try {
    return await fn(lock, combined);
  } finally {
    await lock.release();
  }
}
