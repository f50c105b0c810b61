// `find`: the entries of one or more snapshots whose original absolute path matches a pattern, as restic's
// `find` answers. The patterns are backup's (client/repo/fs/exclude.ts), except that they name an entry itself,
// not what lies below it: `*.jpg` finds every JPEG, `Documents/taxes` that directory.

import { basename } from 'node:path';
import picomatch from 'picomatch';
import type { IndexLoader, TreeLoader } from '../ports.js';
import type { Snapshot } from '../snapshot.js';
import type { CallOptions } from '../storage/store.js';
import { PICO, toGlob } from '../fs/exclude.js';
import { walkTree } from '../snapshots/walk.js';
import { treeShape } from '../limits.js';
import type { TreeNode } from '../tree.js';

export interface Found {
  snapshot: Snapshot;
  /** The entry's original absolute path. */
  path: string;
  node: TreeNode;
}

/** A matcher of original absolute paths for `find`'s patterns (`ignoreCase` as restic's `--ignore-case`). */
export function pathMatcher(patterns: readonly string[], ignoreCase = false): (absPath: string) => boolean {
  const match = picomatch(patterns.map(toGlob), { ...PICO, nocase: ignoreCase });
  return (absPath) => match(absPath.replace(/^\/+/, ''));
}

/** The original absolute path of each root entry of a snapshot, by its name. */
export function rootPaths(snapshot: Snapshot): Map<string, string> {
  return new Map(snapshot.paths.map((p) => [p === '/' ? 'root' : basename(p), p]));
}

export async function* findInSnapshots(repo: TreeLoader & IndexLoader, snapshots: readonly Snapshot[], patterns: readonly string[], options: CallOptions & { ignoreCase?: boolean } = {}): AsyncGenerator<Found> {
  await repo.ensureIndex(options);
  const matches = pathMatcher(patterns, options.ignoreCase);
  for (const snapshot of snapshots) {
    const roots = rootPaths(snapshot);
    await treeShape(repo, snapshot.tree, options); // bounded before the walk (docs/repository.md "Limits")
    for await (const { path, node } of walkTree(repo, snapshot.tree, options)) {
      const slash = path.indexOf('/');
      const root = roots.get(slash < 0 ? path : path.slice(0, slash)) ?? `/${path}`;
      const abs = slash < 0 ? root : `${root === '/' ? '' : root}${path.slice(slash)}`;
      if (matches(abs)) yield { snapshot, path: abs, node };
    }
  }
}
