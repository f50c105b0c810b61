// Walking the trees of a snapshot: every node with its path inside the snapshot (`ls`, `dump`, `find`), over the
// TreeLoader port (ports.ts) alone.

import { beyondLimits, MAX_TREE_DEPTH } from '../limits.js';
import type { TreeLoader } from '../ports.js';
import type { CallOptions } from '../storage/store.js';
import type { TreeNode } from '../tree.js';

export interface WalkedNode {
  /** Path inside the snapshot: the root node's name, then components joined by `/`. */
  path: string;
  node: TreeNode;
}

/**
 * Every node under tree `treeId`, depth first, in name order; `descend` can prune directories. Iterative (a stack
 * of trees being listed), so a tree 2048 levels deep does not nest 2048 generators; callers measure the tree first
 * (limits.ts treeShape), and the depth is held here too.
 */
export async function* walkTree(repo: TreeLoader, treeId: string, options: CallOptions & { prefix?: string; descend?: (path: string) => boolean } = {}): AsyncGenerator<WalkedNode> {
  const base = options.prefix === undefined || options.prefix === '' ? 0 : options.prefix.split('/').length;
  const stack: { nodes: readonly TreeNode[]; at: number; prefix: string | undefined }[] = [
    { nodes: (await repo.tree(treeId, options)).nodes, at: 0, prefix: options.prefix || undefined },
  ];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const node = top.nodes[top.at++];
    if (node === undefined) {
      stack.pop();
      continue;
    }
    const path = top.prefix ? `${top.prefix}/${node.name}` : node.name;
    yield { path, node };
    if (node.type === 'dir' && (options.descend === undefined || options.descend(path))) {
      if (base + stack.length + 1 > MAX_TREE_DEPTH) throw beyondLimits(`trees nested more than ${MAX_TREE_DEPTH} levels deep`);
      stack.push({ nodes: (await repo.tree(node.subtree, options)).nodes, at: 0, prefix: path });
    }
  }
}

/** The node at `path` inside the snapshot whose root tree is `treeId`, or undefined. */
export async function findNode(repo: TreeLoader, treeId: string, path: string, options: CallOptions = {}): Promise<TreeNode | undefined> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length > MAX_TREE_DEPTH) return undefined; // no snapshot holds a path this deep
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
