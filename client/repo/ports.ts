// The ports of the snapshot engine: what each consumer (a command, a walk, the blob-writer session) may ask of an
// open repository, each interface only what its consumers call. `Repository` (repository.ts) is the one adapter and
// says so in its `implements` clause; tests hand consumers small adapters typed as the port alone
// (test/client/repo/ports.test.ts). The shape follows restic's internal/restic interfaces:
//
//   TreeLoader      restic.TreeLoader (LoadTree)           a decoded, validated tree blob by id
//   BlobLoader      restic.BlobLoader (LoadBlob)           a blob's plaintext by id
//   IndexLoader     Repository.LoadIndex                   load the master index once, before reading
//   IndexLookup     restic.MasterIndex (Has, Lookup)       where a blob is stored
//   SnapshotLister  restic.ForAllSnapshots / FindSnapshot  the snapshots the server lists, and any rollback
//   PackSource      Repository.LoadBlobsFromPack           ranged pack reads (packs/pack-reader.ts)
//   Chunking        the archiver's chunker and key         blob workers and the keys blobs are named and sealed with
//   BlobSink        restic.BlobSaver (SaveBlob)            where readers hand chunked segments
//   BlobWriterRepo  the packer manager's backend and index where a blob-writer session's packs and indexes go
//   IndexSaver      restic's SaveIndex                     one index object of some packs
//   SnapshotSaver   restic.SaveSnapshot                    the snapshot commit
//
// A blob id is the HMAC of its plaintext whatever its type (docs/repository.md "Blobs"), and the index maps ids
// without types, so blobs are loaded by id alone.

import type { SegmentOut } from './blobs/blob-ops.js';
import type { BlobPool } from './blobs/blob-pool.js';
import type { RepoKeys } from './keys.js';
import type { BlobLocation, IndexObject, PackEntry } from './packs/index.js';
import type { Snapshot } from './snapshot.js';
import type { Rollback } from './snapshots/seen.js';
import type { RepoCache } from './storage/cache.js';
import type { CallOptions, RepoStore } from './storage/store.js';
import type { Tree } from './tree.js';

// ---- the read side ----

/** A tree blob by id, decoded and validated (walks, ls, diff, find, stats, restore's plan). */
export interface TreeLoader {
  tree(id: string, options?: CallOptions): Promise<Tree>;
}

/** A blob's plaintext by id (dump). */
export interface BlobLoader {
  loadBlob(id: string, options?: CallOptions): Promise<Uint8Array>;
}

/** Loading the master index before reading (the SDK's read commands; a caller may have loaded it already). */
export interface IndexLoader {
  /** Loads the index unless it holds packs already. */
  ensureIndex(options?: CallOptions): Promise<void>;
}

/** Where blobs are stored: the master index lookups readers make. */
export interface BlobIndex {
  has(blobId: string): boolean;
  lookup(blobId: string): BlobLocation | undefined;
}

export interface IndexLookup {
  readonly index: BlobIndex;
}

/** The snapshots the server lists (unreadable ones skipped), and the groups it seems to have rolled back (seen.ts). */
export interface SnapshotLister {
  snapshots(options?: CallOptions): Promise<Snapshot[]>;
  /** From the last `snapshots()`: groups whose newest snapshot this device has seen is no longer listed. */
  readonly rollbacks: readonly Rollback[];
}

/** Ranged reads of packs (packs/pack-reader.ts readBlobs): the store, the keys, the blob workers, the cache of tree packs. */
export interface PackSource {
  readonly store: RepoStore;
  readonly keys: RepoKeys;
  readonly pool: BlobPool;
  readonly cache: RepoCache | undefined;
}

/** What a restore reads: trees, the index, and packs read by the blob workers straight into the files. */
export interface RestoreSource extends TreeLoader, IndexLoader, IndexLookup, PackSource {
  /** Why a blob may be missing from the index: the index objects skipped as unreadable, or ''. */
  skippedIndexes(): string;
}

// ---- the write side ----

/** The chunking side of a repository (blobs/file-reader.ts): its blob workers and keys. */
export interface Chunking {
  readonly pool: BlobPool;
  readonly keys: RepoKeys;
}

/** Where readers hand chunked segments (packs/blob-writer.ts is the one implementation): new blobs are stored, ids come back. */
export interface BlobSink {
  /** Stores the new chunks of one segment (their bytes in `buf`, or compressed in the chunk) and returns every chunk's id. */
  saveSegment(seg: SegmentOut, buf: Uint8Array): Promise<string[]>;
  /** Whether a blob is indexed or already in a pack of this session. */
  has(id: string): boolean;
}

/**
 * Where sealed packs go: a put, or, when the store hands out URLs (storage/store.ts isDirectStore, which looks at
 * both requests), a blob worker's own upload to a presigned URL (packs/pack-writer.ts sealAndStore).
 */
export type PackStore = Pick<RepoStore, 'put' | 'uploadRequest' | 'downloadRequest' | 'uploaded'>;

/** Index writes: one index object listing `packs` and superseding `supersedes`, added to the master index. */
export interface IndexSaver {
  putIndex(packs: IndexObject['packs'], supersedes?: string[], options?: CallOptions): Promise<{ bytes: number }>;
}

/** What a blob-writer session needs of a repository (packs/blob-writer.ts). */
export interface BlobWriterRepo extends Chunking, IndexSaver {
  readonly store: PackStore;
  /** Dedup against the master index, and each stored pack added to it. */
  readonly index: { has(blobId: string): boolean; addPack(pack: PackEntry): void };
  /** Where a stored tree pack is kept (so the next backup does not download it). */
  readonly cache: Pick<RepoCache, 'put'> | undefined;
}

/** The snapshot commit: encrypts and stores a snapshot object; returns its stored bytes. */
export interface SnapshotSaver {
  putSnapshot(snapshot: Snapshot, options?: CallOptions): Promise<number>;
}
