// `check`: the repository's structure — every blob a snapshot references is indexed, every indexed pack exists
// with the indexed size and its trailer (decrypted from the pack's last chunks) lists the same blobs at the same
// places — and with `readData` every pack is decrypted whole and every blob's HMAC id verified. It reads what
// the server holds, never the local cache (a cached tree pack or index object says nothing about the server's).

import type { BlobEntry } from '../packs/index.js';
import { readTrailer } from '../packs/pack-writer.js';
import { readBlobs } from '../packs/pack-reader.js';
import { parallel } from '../parallel.js';
import { Repository } from '../repository.js';
import type { CallOptions } from '../storage/store.js';
import { usedBlobs } from '../snapshots/used.js';

export interface CheckOptions extends CallOptions {
  readData?: boolean;
  onProgress?: (p: { packs: number; totalPacks: number }) => void;
}

export interface CheckResult {
  snapshots: number;
  packs: number;
  blobs: number;
  errors: string[];
}

const TRAILER_PROBE = 256 * 1024;

/** Needs the whole Repository: it opens an uncached twin of it (same store, keys, workers, seen record). */
export async function check(cached: Repository, options: CheckOptions = {}): Promise<CheckResult> {
  await cached.loadIndex(options); // the caller's repository sees the index as it is now, too
  const repo = new Repository(cached.store, cached.keys, cached.config, undefined, cached.pool, cached.seen);
  repo.acceptRollback = cached.acceptRollback;
  const errors: string[] = [];
  await repo.loadIndex(options);
  const snapshots = await repo.snapshots(options);
  cached.rollbacks = repo.rollbacks; // the caller reports them (seen.ts)
  cached.accepted.push(...repo.accepted);
  for (const [id, why] of repo.unreadable) errors.push(`snapshot ${id} cannot be read: ${why}`);
  for (const [id, why] of repo.unreadableIndexes) errors.push(`index ${id} cannot be read: ${why}`);
  const stored = new Map<string, number>();
  for await (const info of repo.store.list('data', options)) stored.set(info.id, info.size);
  let used;
  try {
    used = await usedBlobs(repo, snapshots, options);
    for (const [blob, snap] of used.missing) errors.push(`snapshot ${snap.slice(0, 8)} references blob ${blob} that is not in the index`);
  } catch (e) {
    errors.push(`a tree does not read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const packs = [...repo.index.packs.values()];
  let done = 0;
  await parallel(packs, 4, async (pack) => {
    const size = stored.get(pack.id);
    if (size === undefined) {
      errors.push(`pack ${pack.id} is indexed but missing`);
      return;
    }
    if (size !== pack.size) {
      errors.push(`pack ${pack.id} has ${size} bytes, the index says ${pack.size}`);
      return;
    }
    try {
      let tail: Uint8Array | undefined;
      let probe = TRAILER_PROBE;
      for (;;) {
        await readBlobs(repo, pack, [], (_b, plain) => {
          tail = new Uint8Array(plain);
        }, { ...options, tail: probe });
        const n = Buffer.from(tail!.buffer, tail!.byteOffset, tail!.byteLength).readUInt32LE(tail!.length - 4);
        if (n + 4 <= tail!.length || probe >= pack.size) break;
        probe = n + 4;
      }
      const trailer = readTrailer(tail!);
      if (trailer.id !== pack.id) errors.push(`pack ${pack.id} names ${trailer.id} in its trailer`);
      const key = (b: BlobEntry) => `${b.id}:${b.o}:${b.l}:${b.u}:${b.z}`;
      const a = new Set(pack.blobs.map(key));
      const b = new Set(trailer.blobs.map(key));
      if (a.size !== b.size || [...a].some((k) => !b.has(k)) || trailer.blobs.some((x) => x.t !== pack.t)) {
        errors.push(`pack ${pack.id}: its trailer does not match the index`);
      }
      if (options.readData) await readBlobs(repo, pack, pack.blobs, () => undefined, { ...options, verify: true, whole: true });
    } catch (e) {
      errors.push(`pack ${pack.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    options.onProgress?.({ packs: ++done, totalPacks: packs.length });
  });
  let blobs = 0;
  for (const p of packs) blobs += p.blobs.length;
  return { snapshots: snapshots.length, packs: packs.length, blobs, errors };
}
