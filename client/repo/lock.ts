// A repository lock held for the length of an operation (shared for backup, exclusive for forget, prune and
// check's repairs): refreshed every ttl/3; when a refresh fails the lock counts as lost, the operation's signal
// aborts and `assertHeld` throws, so nothing is committed without a live lock.

import { BkvError } from '../../protocol/errors.js';
import type { RepoLock, RepoStore } from './store.js';

export const LOCK_TTL_SECONDS = 120;

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
    const ttl = options.ttlSeconds ?? LOCK_TTL_SECONDS;
    options.signal?.throwIfAborted();
    // The request is not cut short by the signal: the server may make the lock after the client gave up on the
    // answer, and that lock would shut other devices out until it expires (an exclusive one: every backup).
    // Once the answer is here, an operation cancelled meanwhile releases the lock at once.
    const lock = await store.lock({ exclusive, ttlSeconds: ttl, description });
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
