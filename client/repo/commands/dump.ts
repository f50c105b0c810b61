// `dump`: one file of a snapshot to a stream, its blobs fetched by ranged reads a few ahead and written in order.

import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { damaged } from '../objects.js';
import type { BlobLoader, IndexLoader, TreeLoader } from '../ports.js';
import type { Snapshot } from '../snapshot.js';
import type { CallOptions } from '../storage/store.js';
import { findNode } from '../snapshots/walk.js';
import { ClientError } from '../../errors.js';

const AHEAD = 4;

/** Writes the file at `path` to `out` (which is not ended); returns its size. */
export async function dumpFile(repo: TreeLoader & BlobLoader & IndexLoader, snapshot: Snapshot, path: string, out: Writable, options: CallOptions = {}): Promise<number> {
  await repo.ensureIndex(options);
  const node = await findNode(repo, snapshot.tree, path, options);
  if (node === undefined) throw new ClientError('usage', `no ${path} in snapshot ${snapshot.id.slice(0, 8)}`);
  if (node.type !== 'file') throw new ClientError('usage', `${path} is a ${node.type}, not a file`);
  const queue: Promise<Uint8Array>[] = [];
  const ahead = (id: string) => {
    const p = repo.loadBlob(id, options);
    p.catch(() => undefined); // awaited in order below; an abandoned one must not be an unhandled rejection
    queue.push(p);
  };
  let next = 0;
  let total = 0;
  while (next < node.content.length && queue.length < AHEAD) ahead(node.content[next++]!);
  while (queue.length > 0) {
    const data = await queue.shift()!;
    if (next < node.content.length) ahead(node.content[next++]!);
    total += data.length;
    if (!out.write(data)) await once(out, 'drain');
  }
  if (total !== node.size) throw damaged(`${path} has ${total} bytes, the tree says ${node.size}`);
  return total;
}
