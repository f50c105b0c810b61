// Walking the trees of a snapshot: every node with its path inside the snapshot (`ls`, `dump`, `prune`, `check`).

import type { Repository } from './repository.js';
import type { CallOptions } from './store.js';
import type { TreeNode } from './tree.js';

export interface WalkedNode {
  /** Path inside the snapshot: the root node's name, then components joined by `/`. */
  path: string;
  node: TreeNode;
}

/** Every node under tree `treeId`, depth first, in name order; `descend` can prune directories. */
export async function* walkTree(repo: Repository, treeId: string, options: CallOptions & { prefix?: string; descend?: (path: string) => boolean } = {}): AsyncGenerator<WalkedNode> {
  const tree = await repo.tree(treeId, options);
  for (const node of tree.nodes) {
    const path = options.prefix ? `${options.prefix}/${node.name}` : node.name;
    yield { path, node };
    if (node.type === 'dir' && (options.descend === undefined || options.descend(path))) {
      yield* walkTree(repo, node.subtree, { ...options, prefix: path });
    }
  }
}

/** The node at `path` inside the snapshot whose root tree is `treeId`, or undefined. */
export async function findNode(repo: Repository, treeId: string, path: string, options: CallOptions = {}): Promise<TreeNode | undefined> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let tree = await repo.tree(treeId, options);
  for (let i = 0; i < parts.length; i++) {
    const node = tree.nodes.find((n) => n.name === parts[i]);
    if (node === undefined) return undefined;
    if (i === parts.length - 1) return node;
    if (node.type !== 'dir') return undefined;
    tree = await repo.tree(node.subtree, options);
  }
  return undefined;
}
