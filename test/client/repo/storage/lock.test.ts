// HeldLock.take (client/repo/storage/lock.ts) when the operation is cancelled while its lock request is on the way: the
// server may make the lock after the client stopped waiting, so take waits for the answer and releases the lock
// at once; nothing is left to shut other devices out until it expires.

import { describe, expect, it } from 'vitest';
import { HeldLock } from '../../../../client/repo/storage/lock.js';
import { MemoryRepoStore } from '../../../../client/repo/storage/memory-store.js';
import type { CallOptions, LockRequest, RepoLock } from '../../../../client/repo/storage/store.js';

/** A store whose lock answers arrive late; the lock is made on the server side first. */
class SlowLockStore extends MemoryRepoStore {
  made: string[] = [];
  override async lock(request: LockRequest, options?: CallOptions): Promise<RepoLock> {
    const lock = await super.lock(request, options);
    this.made.push(lock.lockId);
    await new Promise((r) => setTimeout(r, 50));
    return lock;
  }
}

describe('a lock taken while the operation is cancelled', () => {
  it('is released as soon as its answer arrives, and take throws the cancellation', async () => {
    const store = new SlowLockStore();
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const taking = HeldLock.take(store, true, 'prune', { signal: controller.signal });
    setTimeout(() => controller.abort(reason), 10);
    await expect(taking).rejects.toBe(reason);
    expect(store.made).toHaveLength(1);
    // the repository is free again: another exclusive lock is granted at once (not repository-locked)
    const next = await store.lock({ exclusive: true });
    expect(next.lockId).not.toBe(store.made[0]);
  });

  it('is not requested at all when the operation was cancelled before', async () => {
    const store = new SlowLockStore();
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(HeldLock.take(store, false, 'backup', { signal: controller.signal })).rejects.toThrow('cancelled');
    expect(store.made).toHaveLength(0);
  });
});
