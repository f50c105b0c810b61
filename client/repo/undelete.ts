// `undelete`: brings back the objects deleted at or after a time, while the deployment's retention still keeps
// them (docs/repository.md "Deleted objects"; S3 versioning in AWS, the local object store's trash), under an
// exclusive lock so no prune runs meanwhile, with requests signed by K's key (the store's signWith). Works on the
// store alone: after `DELETE /v1/vault?backups=true`
// there is no config to open a repository with until it is back. Deletion in bkv is write-once objects removed
// by name, so "everything deleted since T" is the repository as it was at T plus what was written since, with
// one catch that `reviveIndexes` (which needs K) settles: a prune after T wrote an index that supersedes the
// index objects it read; while such an index is there, the restored ones stay hidden (client/repo/index.ts). It
// is deleted (deferred, like every deletion): its packs are all listed by the indexes it superseded, or are new
// copies of blobs in their restored packs, so nothing becomes unreachable; the next prune frees the copies.

import { ClientError } from '../errors.js';
import { toIndexObject } from './index.js';
import { withLock } from './lock.js';
import type { Repository } from './repository.js';
import type { CallOptions, ObjectName, RepoStore } from './store.js';

export interface UndeleteOptions extends CallOptions {
  /** Each object as it comes back. */
  onRestore?: (name: ObjectName) => void;
}

/** Restores every object deleted at or after `since` (epoch ms); returns them in the order they came back. */
export async function undelete(store: RepoStore, since: number, options: UndeleteOptions = {}): Promise<ObjectName[]> {
  if (!Number.isFinite(since)) throw new ClientError('usage', 'undelete: the time is not a valid date');
  const restoreFrom = store.undelete?.bind(store);
  if (restoreFrom === undefined) throw new ClientError('usage', 'this repository store keeps no deleted objects');
  // its requests are signed with K's key (the caller's signWith); after `DELETE /v1/vault?backups=true` the account
  // records no key any more, so K's is registered again first (docs/protocol.md "Signed requests")
  await store.registerSigningKey?.(options);
  return withLock(store, true, 'undelete', options.signal, async (lock, signal) => {
    const restored: ObjectName[] = [];
    let after: string | undefined;
    // a page is at most 1000 keys; a repository of a million objects is 1000 pages, bounded so a server that
    // keeps answering `next` cannot hold the client forever
    for (let page = 0; page < 100_000; page++) {
      const got = await restoreFrom(since, lock.id, after, { signal });
      for (const n of got.restored) {
        restored.push(n);
        options.onRestore?.(n);
      }
      if (got.next === undefined || got.next === after) return restored;
      after = got.next;
    }
    throw new ClientError('bad-answer', 'server kept answering more undelete pages', { from: 'server' });
  });
}

/**
 * After `undelete`: deletes every index object that supersedes a restored index object (a prune's output, live or
 * restored itself), so the restored ones count again. Returns the ids deleted (each also given to `onDelete`).
 */
export async function reviveIndexes(repo: Repository, restored: readonly ObjectName[], options: CallOptions & { onDelete?: (name: ObjectName) => void } = {}): Promise<string[]> {
  const back = new Set(restored.filter((n) => n.type === 'index').map((n) => n.id));
  if (back.size === 0) return [];
  const hiding: ObjectName[] = [];
  for await (const info of repo.store.list('index', options)) {
    const name = { type: 'index' as const, id: info.id };
    const obj = toIndexObject(await repo.getCached(name, options));
    if (obj.supersedes.some((s) => back.has(s))) hiding.push(name);
  }
  if (hiding.length === 0) return [];
  return withLock(repo.store, true, 'undelete', options.signal, async (lock, signal) => {
    const { deleted } = await repo.store.delete(hiding, lock.id, { signal });
    for (const n of deleted) {
      repo.cache?.delete(n);
      options.onDelete?.(n);
    }
    return deleted.map((n) => n.id);
  });
}
