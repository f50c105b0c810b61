// `ls`: the entries of a snapshot (or of one directory in it) with their metadata, within docs/repository.md "Limits".

import { treeShape } from '../limits.js';
import type { IndexLoader, TreeLoader } from '../ports.js';
import type { Snapshot } from '../snapshot.js';
import type { CallOptions } from '../storage/store.js';
import { findNode, walkTree, type WalkedNode } from '../snapshots/walk.js';
import { ClientError } from '../../errors.js';

export async function* listSnapshot(repo: TreeLoader & IndexLoader, snapshot: Snapshot, path = '', options: CallOptions = {}): AsyncGenerator<WalkedNode> {
  await repo.ensureIndex(options);
  const clean = path.split('/').filter((p) => p !== '' && p !== '.').join('/');
  if (clean === '') {
    // measured first (each distinct tree once): a crafted graph of shared subtrees is refused, not listed for hours
    await treeShape(repo, snapshot.tree, options);
    yield* walkTree(repo, snapshot.tree, options);
    return;
  }
  const node = await findNode(repo, snapshot.tree, clean, options);
  if (node === undefined) throw new ClientError('usage', `no ${clean} in snapshot ${snapshot.id.slice(0, 8)}`);
  yield { path: clean, node };
  if (node.type === 'dir') {
    await treeShape(repo, node.subtree, { ...options, level: clean.split('/').length + 1 });
    yield* walkTree(repo, node.subtree, { ...options, prefix: clean });
  }
}
