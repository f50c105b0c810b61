// The bounds every reader holds repository objects to, and every writer stays within (docs/repository.md
// "Limits"): a blob's plaintext length `u` (a data blob at most the largest chunk a config may name, a tree at most
// MAX_TREE_BLOB_BYTES), the depth of a snapshot's trees and its number of entries counted as a walk meets them (a
// subtree named twice counts twice: a small graph of shared subtrees must not stand for millions of entries).
// `treeShape` measures a tree once per distinct subtree (memoized), so a crafted graph is refused before any walk
// starts, in time proportional to its distinct trees, not to the entries it stands for.

import { MAX_CHUNK_LIMIT } from './blobs/chunker.js';
import { damaged } from './objects.js';
import type { TreeLoader } from './ports.js';
import type { CallOptions } from './storage/store.js';

/** Largest plaintext of a data blob: the largest chunker `max` a config may name (docs/repository.md "Config"). */
export const MAX_DATA_BLOB_BYTES = MAX_CHUNK_LIMIT;
/** Largest plaintext of a tree blob (one directory): ~half a million entries. */
export const MAX_TREE_BLOB_BYTES = 128 * 1024 * 1024;
/** Deepest nesting of trees in a snapshot, the root tree being level 1 (PATH_MAX allows no deeper directories of one-character names). */
export const MAX_TREE_DEPTH = 2048;
/** Most entries (files, directories, symlinks) a snapshot's trees may stand for, each shared subtree counted as often as it is named. */
export const MAX_SNAPSHOT_ENTRIES = 10_000_000;

/** The largest `u` a blob of a pack of type `t` may claim. */
export function maxBlobBytes(t: 'data' | 'tree'): number {
  return t === 'data' ? MAX_DATA_BLOB_BYTES : MAX_TREE_BLOB_BYTES;
}

export function beyondLimits(what: string): ReturnType<typeof damaged> {
  return damaged(`${what} (docs/repository.md "Limits")`);
}

export interface TreeShape {
  /** Entries the tree stands for, every subtree counted where it is named. */
  entries: number;
  /** Levels of trees, this one included. */
  depth: number;
}

const measured = new WeakMap<TreeLoader, Map<string, TreeShape>>();

/**
 * The shape of tree `treeId` (read through the loader, a repository's tree cache); refuses, as damaged, a tree deeper than
 * MAX_TREE_DEPTH levels below `level` (the tree's own level; 1 for a root), one that stands for more than
 * MAX_SNAPSHOT_ENTRIES entries, and one that contains itself.
 */
export async function treeShape(repo: TreeLoader, treeId: string, options: CallOptions & { level?: number } = {}): Promise<TreeShape> {
  let known = measured.get(repo);
  if (known === undefined) measured.set(repo, (known = new Map()));
  const shapes = known;
  const onPath = new Set<string>();
  const visit = async (id: string, level: number): Promise<TreeShape> => {
    if (level > MAX_TREE_DEPTH) throw beyondLimits(`trees nested more than ${MAX_TREE_DEPTH} levels deep`);
    const done = shapes.get(id);
    if (done !== undefined) {
      if (level + done.depth - 1 > MAX_TREE_DEPTH) throw beyondLimits(`trees nested more than ${MAX_TREE_DEPTH} levels deep`);
      return done;
    }
    if (onPath.has(id)) throw damaged(`tree ${id} contains itself`);
    onPath.add(id);
    options.signal?.throwIfAborted();
    const tree = await repo.tree(id, options);
    let entries = tree.nodes.length;
    let below = 0;
    for (const node of tree.nodes) {
      if (node.type !== 'dir') continue;
      const sub = await visit(node.subtree, level + 1);
      entries += sub.entries;
      below = Math.max(below, sub.depth);
      if (entries > MAX_SNAPSHOT_ENTRIES) throw beyondLimits(`a snapshot's trees stand for more than ${MAX_SNAPSHOT_ENTRIES} entries`);
    }
    if (entries > MAX_SNAPSHOT_ENTRIES) throw beyondLimits(`a snapshot's trees stand for more than ${MAX_SNAPSHOT_ENTRIES} entries`);
    onPath.delete(id);
    const shape = { entries, depth: below + 1 };
    shapes.set(id, shape);
    return shape;
  };
  return visit(treeId, options.level ?? 1);
}
