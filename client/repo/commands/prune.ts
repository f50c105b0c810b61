// `prune`: frees the space of data no snapshot references, under an exclusive lock. Every blob reachable from a
// snapshot is kept; packs with no such blob are deleted; packs mostly unused (under half their stored bytes in
// use) are repacked: their used blobs are copied into new packs. Order, so that every crash point is safe:
// (1) upload the new packs, (2) write one index that lists every kept and new pack and supersedes every index
// object read, (3) delete the superseded index objects, (4) delete the unused and repacked packs. A crash
// before (2) leaves only unindexed new packs (removed by the next prune); after (2) the new index alone is the
// repository's index, and it names no pack that (4) deletes. Packs no index lists (left by an interrupted
// backup) are deleted too: no backup can be running while we hold the exclusive lock. Each deletion is reported.

import type { BlobEntry, PackEntry } from '../packs/index.js';
import { withLock, type HeldLock } from '../storage/lock.js';
import { BlobWriter } from '../packs/blob-writer.js';
import { PACK_TARGET } from '../packs/pack-writer.js';
import { readBlobs } from '../packs/pack-reader.js';
import type { Repository } from '../repository.js';
import type { CallOptions, ObjectName } from '../storage/store.js';
import { usedBlobs } from '../snapshots/used.js';
import { damaged } from '../objects.js';

export interface PruneOptions extends CallOptions {
  /** Repack a pack when less than this share of its bytes is used (default 0.5). */
  repackBelow?: number;
  dryRun?: boolean;
  /** With `dryRun`: count these snapshots as gone (`forget --dry-run --prune` shows what both would do). */
  without?: ReadonlySet<string>;
  onDelete?: (name: ObjectName, reason: string) => void;
  /** Packs done of the packs to free (read to be repacked, or deleted), with their stored bytes. */
  onProgress?: (p: PruneProgress) => void;
}

export interface PruneProgress {
  packs: number;
  totalPacks: number;
  bytes: number;
  totalBytes: number;
}

export interface PruneResult {
  usedBlobs: number;
  keptPacks: number;
  deletedPacks: number;
  repackedPacks: number;
  newPacks: number;
  deletedIndexes: number;
  freedBytes: number;
}

/** Needs the whole Repository: the exclusive lock, the index and snapshots, repacking, the new index and the deletions. */
export async function prune(repo: Repository, options: PruneOptions = {}): Promise<PruneResult> {
  // a dry run only reads: it takes no lock, so a stale lock never blocks it and it never blocks a backup
  if (options.dryRun) return pruneUnder(repo, options, undefined, options.signal);
  return withLock(repo.store, true, 'prune', options.signal, (lock, signal) => pruneUnder(repo, options, lock, signal));
}

async function pruneUnder(repo: Repository, options: PruneOptions, held: HeldLock | undefined, signal: AbortSignal | undefined): Promise<PruneResult> {
  const call = { signal };
  await repo.loadIndex(call);
  const all = await repo.snapshots(call);
  // a snapshot that cannot be read may reference any pack: nothing is deleted on its account
  if (repo.unreadable.size > 0) {
    const [id, why] = [...repo.unreadable][0]!;
    throw damaged(`snapshot ${id} cannot be read (${why}); nothing was deleted: run bkv check, and bkv undelete if it was overwritten or deleted`);
  }
  // an index that cannot be read may list packs in use: nothing is deleted while one exists
  if (repo.unreadableIndexes.size > 0) {
    const [id, why] = [...repo.unreadableIndexes][0]!;
    throw damaged(`index ${id} cannot be read (${why}); nothing was deleted: run bkv check, and bkv undelete if it was overwritten or deleted`);
  }
  const snapshots = options.dryRun && options.without !== undefined ? all.filter((s) => !options.without!.has(s.id)) : all;
  const used = await usedBlobs(repo, snapshots, call);
  if (used.missing.size > 0) throw damaged(`${used.missing.size} referenced blobs are not indexed: run bkv check; nothing was deleted`);
  const isUsed = (id: string) => used.data.has(id) || used.trees.has(id);
  const stored = new Map<string, number>();
  for await (const info of repo.store.list('data', call)) stored.set(info.id, info.size);

  const keep: PackEntry[] = [];
  const drop: PackEntry[] = [];
  const repack: { pack: PackEntry; blobs: BlobEntry[] }[] = [];
  for (const pack of repo.index.packs.values()) {
    // a blob counts in the pack the index resolves it to; other copies are unused
    const mine = pack.blobs.filter((b) => isUsed(b.id) && repo.index.lookup(b.id)?.pack.id === pack.id);
    const bytes = mine.reduce((n, b) => n + b.l, 0);
    const total = pack.blobs.reduce((n, b) => n + b.l, 0);
    if (!stored.has(pack.id)) throw damaged(`pack ${pack.id} is indexed but missing: run bkv check; nothing was deleted`);
    if (mine.length === 0) drop.push(pack);
    else if (bytes < total * (options.repackBelow ?? 0.5)) repack.push({ pack, blobs: mine });
    else keep.push(pack);
  }
  const unindexed = [...stored.keys()].filter((id) => !repo.index.packs.has(id));
  const result: PruneResult = {
    usedBlobs: used.data.size + used.trees.size, keptPacks: keep.length, deletedPacks: drop.length + unindexed.length + repack.length,
    repackedPacks: repack.length, newPacks: 0, deletedIndexes: 0, freedBytes: 0,
  };
  if (options.dryRun || held === undefined) {
    // what the real prune would report: the same deletions, the index objects it would supersede, and the packs
    // repacking would write (the blobs keep their stored lengths: compression is deterministic)
    result.deletedIndexes = new Set([...repo.index.read, ...repo.index.objects.keys()]).size;
    for (const id of [...drop.map((p) => p.id), ...repack.map((r) => r.pack.id), ...unindexed]) result.freedBytes += stored.get(id) ?? 0;
    for (const t of ['data', 'tree'] as const) {
      let length = 0;
      for (const { pack, blobs } of repack) {
        if (pack.t !== t) continue;
        for (const b of blobs) {
          length += b.l;
          if (length >= PACK_TARGET) {
            result.newPacks++;
            length = 0;
          }
        }
      }
      if (length > 0) result.newPacks++;
    }
    return result;
  }
  const lock = held;
  // a repacked pack counts once, when it has been read; unused ones when deleted
  const progress: PruneProgress = { packs: 0, totalPacks: result.deletedPacks, bytes: 0, totalBytes: 0 };
  for (const p of [...drop, ...repack.map((r) => r.pack)]) progress.totalBytes += stored.get(p.id) ?? 0;
  for (const id of unindexed) progress.totalBytes += stored.get(id) ?? 0;
  const advance = (id: string) => {
    progress.packs++;
    progress.bytes += stored.get(id) ?? 0;
    options.onProgress?.({ ...progress });
  };
  options.onProgress?.({ ...progress });

  // (1) repack: the used blobs copied into new packs by a blob-writer session that indexes nothing (the one index
  // of step 2 lists them); a pack closes once it reaches the target
  const writer = new BlobWriter(repo, {
    signal, index: 'supersede', closeData: 'at-target', beforeStore: () => lock.assertHeld(),
    // one pack stored while the next fills: close to the one-at-a-time memory of repacking before the session
    uploads: 1,
  });
  let written: PackEntry[];
  try {
    const { compressAlways, maybeCompress } = await import('../blobs/blob-ops.js');
    for (const { pack, blobs } of repack) {
      await readBlobs(repo, pack, blobs, async (blob, plain) => {
        const z = pack.t === 'tree' ? compressAlways(plain) : maybeCompress(plain);
        if (z !== undefined) await writer.add(pack.t, blob.id, z, plain.length, 1);
        else await writer.add(pack.t, blob.id, plain, plain.length, 0);
      }, { ...call, verify: true });
      advance(pack.id);
    }
    written = await writer.finish();
  } catch (e) {
    await writer.abort(e);
    throw e;
  }
  result.newPacks = written.length;

  // (2) one index superseding every index read
  // every index object read, superseded ones too: none may outlive the one index that replaces them all
  const old = [...new Set([...repo.index.read, ...repo.index.objects.keys()])];
  lock.assertHeld();
  await repo.putIndex([...keep, ...written], old, call);

  // (3) and (4): deletions, each reported
  const report = async (names: ObjectName[], reason: string, counts = false) => {
    if (names.length === 0) return;
    lock.assertHeld();
    const { deleted } = await repo.store.delete(names, lock.id, call);
    for (const n of deleted) {
      repo.cache?.delete(n);
      if (n.type === 'data') result.freedBytes += stored.get(n.id) ?? 0;
      options.onDelete?.(n, reason);
      if (counts) advance(n.id);
    }
    return deleted.length;
  };
  result.deletedIndexes = (await report(old.map((id) => ({ type: 'index' as const, id })), 'superseded index')) ?? 0;
  await report(drop.map((p) => ({ type: 'data' as const, id: p.id })), 'unused pack', true);
  await report(repack.map((r) => ({ type: 'data' as const, id: r.pack.id })), 'repacked pack');
  await report(unindexed.map((id) => ({ type: 'data' as const, id })), 'pack no index lists', true);
  await repo.loadIndex(call);
  return result;
}
