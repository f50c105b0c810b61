// Writes hand-made (possibly malicious) trees and snapshots into a repository, bypassing the backup's own
// checks: what a repository writer with K, or a bug, could produce.

import { blobId, compressAlways } from '../../../client/repo/blobs/blob-ops.js';
import { encodeJson, encryptObject, newId } from '../../../client/repo/objects.js';
import { PackBuilder } from '../../../client/repo/packs/pack-writer.js';
import type { Repository } from '../../../client/repo/repository.js';
import type { Snapshot } from '../../../client/repo/snapshot.js';

export class Crafter {
  private readonly trees = new PackBuilder('tree', 1024 * 1024);
  private readonly data = new PackBuilder('data', 1024 * 1024);
  constructor(private readonly repo: Repository) {}

  tree(nodes: unknown[]): string {
    const plain = Buffer.from(JSON.stringify({ nodes }));
    const id = blobId(this.repo.keys.blobIdKey, plain);
    this.trees.add(id, compressAlways(plain), plain.length, 1);
    return id;
  }

  /** A tree stored under an id of the caller's choice (not its HMAC): what only a writer with K could index. */
  namedTree(id: string, nodes: unknown[]): string {
    const plain = Buffer.from(JSON.stringify({ nodes }));
    this.trees.add(id, compressAlways(plain), plain.length, 1);
    return id;
  }

  /** A blob in the tree pack stored as `stored`, claiming to inflate to `u` bytes (z 1), under `id`. */
  rawTreeBlob(id: string, stored: Uint8Array, u: number): string {
    this.trees.add(id, stored, u, 1);
    return id;
  }

  /** A data blob stored as `stored` that claims to inflate to `u` bytes (`z` 1: deflated), named by `plain`'s id. */
  rawBlob(plain: Uint8Array, stored: Uint8Array, u: number, z: 0 | 1): string {
    const id = blobId(this.repo.keys.blobIdKey, plain);
    this.data.add(id, stored, u, z);
    return id;
  }

  blob(bytes: Uint8Array): string {
    const id = blobId(this.repo.keys.blobIdKey, bytes);
    this.data.add(id, bytes, bytes.length, 0);
    return id;
  }

  async snapshot(rootTree: string, time = new Date().toISOString()): Promise<Snapshot> {
    const packs = [];
    for (const b of [this.trees, this.data]) {
      if (b.blobs.length === 0) continue;
      const { file, entry } = await b.seal(this.repo.keys, this.repo.pool);
      await this.repo.store.put({ type: 'data', id: entry.id }, file);
      packs.push(entry);
    }
    await this.repo.putIndex(packs);
    const s: Snapshot = {
      version: 1, id: newId(), time, host: 'h', user: 'u', paths: ['/x'], tags: [], tree: rootTree, parent: null,
      incomplete: false, skipped: [], summary: { files: 0, dirs: 0, symlinks: 0, bytes: 0, newBytes: 0, uploadedBytes: 0 },
    };
    await this.repo.store.put({ type: 'snapshots', id: s.id }, encryptObject(this.repo.keys, encodeJson(s)));
    return s;
  }
}

export const meta = { mode: 0o644, mtime: '1600000000000000000', uid: 0, gid: 0 };
export const dirMeta = { mode: 0o755, mtime: '1600000000000000000', uid: 0, gid: 0 };
