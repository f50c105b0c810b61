// `undelete`: brings back the objects deleted at or after a time, while the deployment's retention still keeps
// them (docs/repository.md "Deleted objects"; S3 versioning in AWS, the local object store's trash), under an
// exclusive lock so no prune runs meanwhile, with requests signed by K's key (the store's signWith). Works on the
// store alone: after `DELETE /v1/vault?backups=true`
// there is no config to open a repository with until it is back. Deletion in bkv is write-once objects removed
// by name, so "everything deleted since T" is the repository as it was at T plus what was written since, with
// one catch that `reviveIndexes` (which needs K) settles: a prune after T wrote an index that supersedes the
// index objects it read; while such an index is there, the restored ones stay hidden (client/repo/packs/index.ts). It
// is deleted (deferred, like every deletion): its packs are all listed by the indexes it superseded, or are new
// copies of blobs in their restored packs, so nothing becomes unreachable; the next prune frees the copies.

import { ClientError } from '../../errors.js';
import { toIndexObject } from '../packs/index.js';
import { withLock } from '../storage/lock.js';
import type { Repository } from '../repository.js';
import { RepoObjectMissing, type CallOptions, type ObjectName, type RepoStore } from '../storage/store.js';
import { usedBlobs } from '../snapshots/used.js';
import { damaged } from '../objects.js';

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
 * Needs the whole Repository: it lists, reads and deletes index objects under the exclusive lock.
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

/**
 * `undelete --snapshot ID`: brings back one snapshot deleted at or after `since` and only what it needs: its
 * snapshot object, every index object deleted since (metadata; the indexes a prune superseded are then revived as
 * in `reviveIndexes`), the packs its trees are in (found by walking them, one missing pack at a time) and the packs
 * of its files' blobs. Nothing else comes back: the indexes are then replaced by one that lists only stored packs
 * (the others are deleted again, deferred, as prune does). Needs K (the repository is open) and a store that keeps deleted
 * objects; under an exclusive lock for each step. Returns what came back and the index ids it deleted.
 * Needs the whole Repository: the store's undelete, the index, the trees, a new index and deletions.
 */
export async function undeleteSnapshot(repo: Repository, since: number, snapshotId: string, options: UndeleteOptions = {}): Promise<{ restored: ObjectName[]; revived: string[] }> {
  if (!Number.isFinite(since)) throw new ClientError('usage', 'undelete: the time is not a valid date');
  const store = repo.store;
  const restoreFrom = store.undelete?.bind(store);
  if (restoreFrom === undefined) throw new ClientError('usage', 'this repository store keeps no deleted objects');
  const restored: ObjectName[] = [];
  const got = (names: readonly ObjectName[]) => {
    for (const n of names) {
      restored.push(n);
      options.onRestore?.(n);
    }
  };
  await withLock(store, true, 'undelete', options.signal, async (lock, signal) => {
    got((await restoreFrom(since, lock.id, undefined, { signal }, { objects: [{ type: 'snapshots', id: snapshotId }] })).restored);
    let after: string | undefined;
    for (let page = 0; page < 100_000; page++) {
      const r = await restoreFrom(since, lock.id, after, { signal }, { type: 'index' });
      got(r.restored);
      if (r.next === undefined || r.next === after) return;
      after = r.next;
    }
    throw new ClientError('bad-answer', 'server kept answering more undelete pages', { from: 'server' });
  });
  await repo.loadIndex(options);
  const revived = await reviveIndexes(repo, restored, options);
  if (revived.length > 0) await repo.loadIndex(options);
  const snapshot = (await repo.snapshots(options)).find((s) => s.id === snapshotId);
  if (snapshot === undefined) throw new ClientError('usage', `snapshot ${snapshotId} is neither in the repository nor among its objects deleted since ${new Date(since).toISOString()}`);
  await withLock(store, true, 'undelete', options.signal, async (lock, signal) => {
    const bring = async (packs: readonly string[]) => {
      for (let i = 0; i < packs.length; i += MAX_UNDELETE_OBJECTS) {
        const objects = packs.slice(i, i + MAX_UNDELETE_OBJECTS).map((id) => ({ type: 'data' as const, id }));
        got((await restoreFrom(since, lock.id, undefined, { signal }, { objects })).restored);
      }
    };
    // the trees: walk them; a tree in a deleted pack brings that pack back, then the walk goes on (trees read
    // before are kept by the repository, so each pass only goes further)
    let used: Awaited<ReturnType<typeof usedBlobs>> | undefined;
    for (let pass = 0; used === undefined; pass++) {
      if (pass > MAX_TREE_PACK_PASSES) throw damaged(`snapshot ${snapshotId}: its trees need more than ${MAX_TREE_PACK_PASSES} packs brought back`);
      try {
        used = await usedBlobs(repo, [snapshot], { signal });
      } catch (e) {
        if (!(e instanceof RepoObjectMissing) || e.object.type !== 'data') throw e;
        const before = restored.length;
        await bring([e.object.id]);
        if (restored.length === before) throw e; // not among the deleted objects either: the snapshot is damaged
      }
    }
    const stored = new Set<string>();
    for await (const info of store.list('data', { signal })) stored.add(info.id);
    const packs = new Set<string>();
    for (const id of [...used.data, ...used.trees]) {
      const pack = repo.index.lookup(id)?.pack.id;
      if (pack !== undefined && !stored.has(pack)) packs.add(pack);
    }
    await bring([...packs].sort());
    // the index objects brought back also list packs of snapshots that stay deleted: one new index lists the packs
    // stored now and supersedes every index read (as prune's does), and those are deleted again (deferred), so
    // check and prune see a whole repository
    for (const n of restored) if (n.type === 'data') stored.add(n.id);
    const whole = [...repo.index.packs.values()].filter((p) => stored.has(p.id));
    if (whole.length < repo.index.packs.size) {
      const old = [...new Set([...repo.index.read, ...repo.index.objects.keys()])];
      lock.assertHeld();
      await repo.putIndex(whole, old, { signal });
      lock.assertHeld();
      const { deleted } = await store.delete(old.map((id) => ({ type: 'index' as const, id })), lock.id, { signal });
      for (const n of deleted) repo.cache?.delete(n);
    }
  });
  return { restored, revived };
}

/** Objects named in one undelete request (the API's bound). */
const MAX_UNDELETE_OBJECTS = 1000;
/** Tree packs brought back one at a time while walking a snapshot's trees. */
const MAX_TREE_PACK_PASSES = 100_000;
