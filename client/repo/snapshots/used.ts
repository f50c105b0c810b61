// The blobs the snapshots reference: every tree reachable from a snapshot and every data blob of its files
// (prune keeps them; check verifies each is indexed).

import { beyondLimits, MAX_TREE_DEPTH } from '../limits.js';
import type { IndexLookup, TreeLoader } from '../ports.js';
import type { Snapshot } from '../snapshot.js';
import type { CallOptions } from '../storage/store.js';

export interface UsedBlobs {
  trees: Set<string>;
  data: Set<string>;
  /** Referenced blobs the index does not know, with one snapshot that needs each. */
  missing: Map<string, string>;
}

export async function usedBlobs(repo: TreeLoader & IndexLookup, snapshots: readonly Snapshot[], options: CallOptions = {}): Promise<UsedBlobs> {
  const used: UsedBlobs = { trees: new Set(), data: new Set(), missing: new Map() };
  // each tree is visited once (a shared subtree costs nothing more); the depth is bounded (docs/repository.md "Limits")
  const visit = async (treeId: string, snapshot: string, level = 1): Promise<void> => {
    if (level > MAX_TREE_DEPTH) throw beyondLimits(`snapshot ${snapshot.slice(0, 8)}: trees nested more than ${MAX_TREE_DEPTH} levels deep`);
    if (used.trees.has(treeId)) return;
    used.trees.add(treeId);
    if (!repo.index.has(treeId)) {
      used.missing.set(treeId, snapshot);
      return;
    }
    const tree = await repo.tree(treeId, options);
    for (const node of tree.nodes) {
      if (node.type === 'file') {
        for (const id of node.content) {
          used.data.add(id);
          if (!repo.index.has(id)) used.missing.set(id, snapshot);
        }
      } else if (node.type === 'dir') {
        await visit(node.subtree, snapshot, level + 1);
      }
    }
  };
  for (const s of snapshots) await visit(s.tree, s.id);
  return used;
}
