// `diff`: what changed between two snapshots, entry by entry, as restic's `diff` reports it: `+` added, `-`
// removed, `M` content changed (a file's blob list, a symlink's target), `T` type changed, `U` metadata only
// (mode, mtime, owner). Equal subtree ids are skipped without being read (a tree id is the hash of its content),
// so a diff costs what changed, not the size of the snapshots.

import { treeShape } from '../limits.js';
import type { IndexLoader, TreeLoader } from '../ports.js';
import type { Snapshot } from '../snapshot.js';
import type { CallOptions } from '../storage/store.js';
import { compareNames, type TreeNode } from '../tree.js';

export type Change = '+' | '-' | 'M' | 'T' | 'U';

export interface DiffEntry {
  change: Change;
  /** Path inside the snapshots (root name first); directories end with `/`. */
  path: string;
}

export interface DiffStats {
  added: number;
  removed: number;
  changed: number;
  metadata: number;
  /** File bytes in B that A does not have at that path, and the reverse. */
  addedBytes: number;
  removedBytes: number;
}

function sameContent(a: TreeNode, b: TreeNode): boolean {
  if (a.type === 'file' && b.type === 'file') return a.size === b.size && a.content.length === b.content.length && a.content.every((c, i) => c === b.content[i]);
  if (a.type === 'symlink' && b.type === 'symlink') return a.target === b.target;
  return a.type === 'dir' && b.type === 'dir';
}

function sameMetadata(a: TreeNode, b: TreeNode): boolean {
  return a.mode === b.mode && a.mtime === b.mtime && a.uid === b.uid && a.gid === b.gid;
}

/** Every difference from snapshot `a` to snapshot `b`, in path order; `onEntry` sees each as it is found. */
export async function diffSnapshots(repo: TreeLoader & IndexLoader, a: Snapshot, b: Snapshot, onEntry: (e: DiffEntry) => void, options: CallOptions = {}): Promise<DiffStats> {
  await repo.ensureIndex(options);
  const stats: DiffStats = { added: 0, removed: 0, changed: 0, metadata: 0, addedBytes: 0, removedBytes: 0 };
  const size = (n: TreeNode) => (n.type === 'file' ? n.size : 0);
  const name = (path: string, n: TreeNode) => (n.type === 'dir' ? `${path}/` : path);

  /** Reports `n` and (for a directory) everything below it as added or removed. */
  const whole = async (change: '+' | '-', path: string, n: TreeNode): Promise<void> => {
    onEntry({ change, path: name(path, n) });
    if (change === '+') {
      stats.added++;
      stats.addedBytes += size(n);
    } else {
      stats.removed++;
      stats.removedBytes += size(n);
    }
    if (n.type === 'dir') for (const child of (await repo.tree(n.subtree, options)).nodes) await whole(change, `${path}/${child.name}`, child);
  };

  const compare = async (ta: string | undefined, tb: string | undefined, prefix: string): Promise<void> => {
    if (ta === tb) return;
    const na = ta === undefined ? [] : (await repo.tree(ta, options)).nodes;
    const nb = tb === undefined ? [] : (await repo.tree(tb, options)).nodes;
    let i = 0;
    let j = 0;
    while (i < na.length || j < nb.length) {
      const x = na[i];
      const y = nb[j];
      const order = x === undefined ? 1 : y === undefined ? -1 : compareNames(x.name, y.name);
      if (order < 0) {
        await whole('-', prefix + x!.name, x!);
        i++;
      } else if (order > 0) {
        await whole('+', prefix + y!.name, y!);
        j++;
      } else {
        const path = prefix + x!.name;
        if (x!.type !== y!.type) {
          onEntry({ change: 'T', path });
          stats.changed++;
          if (x!.type === 'dir') await compare(x!.subtree, undefined, `${path}/`);
          if (y!.type === 'dir') await compare(undefined, y!.subtree, `${path}/`);
        } else if (!sameContent(x!, y!)) {
          onEntry({ change: 'M', path });
          stats.changed++;
          stats.addedBytes += size(y!);
          stats.removedBytes += size(x!);
        } else if (!sameMetadata(x!, y!)) {
          onEntry({ change: 'U', path: name(path, x!) });
          stats.metadata++;
        }
        if (x!.type === 'dir' && y!.type === 'dir') await compare(x!.subtree, y!.subtree, `${path}/`);
        i++;
        j++;
      }
    }
  };
  // both trees bounded before the walk (docs/repository.md "Limits"): a shared subtree's entries count where named
  await treeShape(repo, a.tree, options);
  await treeShape(repo, b.tree, options);
  await compare(a.tree, b.tree, '');
  return stats;
}
