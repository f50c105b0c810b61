// `stats`: how big some snapshots are and what they cost, as restic's `stats` modes report them: the restore
// size (the bytes a restore of each would write, hard links once per snapshot), the unique data (distinct blobs'
// plaintext bytes: what deduplication leaves), the stored bytes (those blobs as stored, compressed and
// encrypted, trees included), and the ratios between them.

import type { IndexLoader, IndexLookup, TreeLoader } from '../ports.js';
import { treeShape } from '../limits.js';
import type { Snapshot } from '../snapshot.js';
import type { CallOptions } from '../storage/store.js';

export interface RepoStats {
  snapshots: number;
  files: number;
  /** Bytes a restore of every given snapshot would write. */
  restoreSize: number;
  /** Plaintext bytes of the distinct data blobs they use. */
  uniqueBytes: number;
  /** Bytes stored for the distinct data and tree blobs they use (compressed and encrypted). */
  storedBytes: number;
  /** restoreSize / uniqueBytes (1 when nothing is shared). */
  dedupRatio: number;
  /** uniqueBytes / stored data bytes. */
  compressionRatio: number;
  /** Blobs referenced but not in the index (a damaged repository; `bkv check` says more). */
  missingBlobs: number;
}

export async function snapshotStats(repo: TreeLoader & IndexLoader & IndexLookup, snapshots: readonly Snapshot[], options: CallOptions = {}): Promise<RepoStats> {
  await repo.ensureIndex(options);
  const data = new Set<string>();
  const trees = new Set<string>();
  let files = 0;
  let restoreSize = 0;
  let missing = 0;
  for (const s of snapshots) {
    const inodes = new Set<string>();
    const visit = async (treeId: string): Promise<void> => {
      trees.add(treeId);
      if (!repo.index.has(treeId)) {
        missing++;
        return;
      }
      for (const node of (await repo.tree(treeId, options)).nodes) {
        if (node.type === 'dir') await visit(node.subtree);
        if (node.type !== 'file') continue;
        if (node.links !== undefined && node.links > 1 && node.inode !== undefined) {
          if (inodes.has(node.inode)) continue;
          inodes.add(node.inode);
        }
        files++;
        restoreSize += node.size;
        for (const c of node.content) data.add(c);
      }
    };
    await treeShape(repo, s.tree, options); // bounded before the walk (docs/repository.md "Limits")
    await visit(s.tree);
  }
  let uniqueBytes = 0;
  let storedData = 0;
  let storedBytes = 0;
  for (const id of data) {
    const loc = repo.index.lookup(id);
    if (loc === undefined) {
      missing++;
      continue;
    }
    uniqueBytes += loc.blob.u;
    storedData += loc.blob.l;
  }
  storedBytes += storedData;
  for (const id of trees) storedBytes += repo.index.lookup(id)?.blob.l ?? 0;
  return {
    snapshots: snapshots.length, files, restoreSize, uniqueBytes, storedBytes,
    dedupRatio: uniqueBytes === 0 ? 1 : restoreSize / uniqueBytes,
    compressionRatio: storedData === 0 ? 1 : uniqueBytes / storedData,
    missingBlobs: missing,
  };
}
