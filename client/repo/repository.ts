// An open repository (docs/repository.md): the store, K's keys, the config (which proves K: a repository under
// another key is refused before anything is written), the index, the local cache of encrypted index, snapshot
// and tree-pack objects, and the blob workers. `initRepository` creates the config through the create-only
// route; `openRepository` fetches and decrypts it. It is the one adapter of the engine's ports (ports.ts).

import { BackupKey, backupKeyBytes as keyBytes } from '../backup-key.js';
import { join } from 'node:path';
import { BkvError } from '../../protocol/errors.js';
import { isAgeError } from '../age/errors.js';
import { BlobPool } from './blobs/blob-pool.js';
import { RepoCache } from './storage/cache.js';
import { CHUNKER_PARAMS, usableParams } from './blobs/chunker.js';
import { MasterIndex, toIndexObject, type IndexObject } from './packs/index.js';
import { deriveRepoKeys, type RepoKeys } from './keys.js';
import { damaged, encodeJson, encryptObject, getJson, newId, parseJsonObject, putJson } from './objects.js';
import { readBlobs } from './packs/pack-reader.js';
import { parallel } from './parallel.js';
import { SeenRecord, type Rollback } from './snapshots/seen.js';
import type { BlobLoader, BlobWriterRepo, IndexLoader, IndexLookup, PackSource, RestoreSource, SnapshotLister, SnapshotSaver, TreeLoader } from './ports.js';
import { toSnapshot, type Snapshot } from './snapshot.js';
import { RepoObjectMissing, type CallOptions, type ObjectName, type RepoStore } from './storage/store.js';
import { decodeTree, type Tree } from './tree.js';
import { ClientError, isClientError } from '../errors.js';

export interface RepoConfig {
  version: 1;
  id: string;
  created: string;
  chunker: { min: number; avg: number; max: number };
}

export interface RepositoryOptions extends CallOptions {
  /** Where the local cache lives (`<home>/cache/<repository id>/`); no cache without it. */
  home?: string;
  /** Blob worker threads (default: one per core, at most 2; 0: this thread only). */
  workers?: number;
  /** Accept a server that lists older snapshots than this device has seen (seen.ts): the record follows it. */
  acceptRollback?: boolean;
}

export function otherKeyError(cause?: unknown): ClientError {
  return new ClientError('wrong-key', 'repository is under another backup key: this device\'s key does not decrypt its config (use the key the repository was made with, e.g. bkv restore --key)', {}, { cause });
}

/**
 * Plaintext of the trees of one tree pack kept at once: tree packs target 1 MiB of deflated JSON (a few MiB of
 * plaintext); a pack claiming more is read one tree at a time.
 */
const TREE_PACK_PLAIN_BYTES = 64 * 1024 * 1024;

export class Repository implements TreeLoader, BlobLoader, IndexLoader, IndexLookup, SnapshotLister, PackSource, RestoreSource, BlobWriterRepo, SnapshotSaver {
  index = new MasterIndex();
  private readonly trees = new Map<string, Tree>();
  /** Groups whose newest snapshot the server no longer lists, from the last listing (seen.ts); not yet accepted. */
  rollbacks: Rollback[] = [];
  /** Rollbacks the user accepted (acceptRollback) in this session. */
  accepted: Rollback[] = [];
  acceptRollback = false;

  constructor(
    readonly store: RepoStore, readonly keys: RepoKeys, readonly config: RepoConfig, readonly cache: RepoCache | undefined, readonly pool: BlobPool,
    /** What this device has seen of the repository (absent without a home: then nothing is checked). */
    readonly seen?: SeenRecord,
  ) {}

  get id(): string {
    return this.config.id;
  }

  /** Fetches (or takes from the cache) every index object and builds the index. */
  async loadIndex(options: CallOptions = {}): Promise<MasterIndex> {
    const live = new Set<string>();
    const objects: IndexObject[] = [];
    const names: ObjectName[] = [];
    for await (const info of this.store.list('index', options)) names.push({ type: 'index', id: info.id });
    this.unreadableIndexes.clear();
    await parallel(names, 8, async (name) => {
      live.add(name.id);
      try {
        objects.push(toIndexObject(await this.getCached(name, options)));
      } catch (e) {
        if (e instanceof RepoObjectMissing) return; // superseded and deleted meanwhile by another device's prune
        const why = this.unreadableWhy(e);
        this.unreadableIndexes.set(name.id, why);
        this.cache?.delete(name);
        this.onSkip?.(name, why);
      }
    });
    this.cache?.retain('index', live);
    this.index = MasterIndex.from(objects);
    return this.index;
  }

  /** Loads the index unless it holds packs already (a caller may have loaded it). */
  async ensureIndex(options: CallOptions = {}): Promise<void> {
    if (this.index.packs.size === 0) await this.loadIndex(options);
  }

  /** A JSON object, from the cache when it is there (index and snapshots are immutable). */
  async getCached(name: ObjectName, options: CallOptions = {}): Promise<Record<string, unknown>> {
    const cached = this.cache?.get(name);
    if (cached !== undefined) {
      try {
        return await parseJsonObject(this.keys, name, cached);
      } catch {
        this.cache?.delete(name);
      }
    }
    const body = await this.store.get(name, undefined, options);
    const obj = await parseJsonObject(this.keys, name, body);
    this.cache?.put(name, body);
    return obj;
  }

  /**
   * Snapshot objects of the last `snapshots()` that failed authentication (damaged, or not an age file to this
   * K: another writer's or a token holder's junk), each with why. They are skipped, never fatal to the listing;
   * `onSkip` names each as it is found. Deleting anything on their account is never right: prune refuses while
   * there are any (client/repo/commands/prune.ts), check reports them.
   */
  readonly unreadable = new Map<string, string>();
  /**
   * Index objects of the last `loadIndex()` that failed authentication, each with why: skipped like snapshots (the
   * blobs only they list then read as not indexed); prune deletes nothing while there are any (a pack only they
   * list would look unused), check reports them.
   */
  readonly unreadableIndexes = new Map<string, string>();
  onSkip: ((name: ObjectName, why: string) => void) | undefined;

  /** What a missing blob may be due to: the index objects skipped as unreadable, with why (or ''). */
  skippedIndexes(): string {
    const first = this.unreadableIndexes.entries().next();
    if (first.done === true) return '';
    const [id, why] = first.value;
    const more = this.unreadableIndexes.size > 1 ? ` and ${this.unreadableIndexes.size - 1} more` : '';
    return ` (index ${id.slice(0, 12)}…${more} could not be read: ${why})`;
  }

  /** Why an object is skipped: rethrows anything that is not damage or another key's object. */
  private unreadableWhy(e: unknown): string {
    if (!isClientError(e, 'damaged') && !isAgeError(e, 'no-match')) throw e;
    return isAgeError(e, 'no-match') ? 'not encrypted to this repository\'s key' : e instanceof Error ? e.message : 'damaged';
  }

  async snapshots(options: CallOptions = {}): Promise<Snapshot[]> {
    const names: ObjectName[] = [];
    for await (const info of this.store.list('snapshots', options)) names.push({ type: 'snapshots', id: info.id });
    const out: Snapshot[] = [];
    this.unreadable.clear();
    await parallel(names, 8, async (name) => {
      try {
        out.push(toSnapshot(await this.getCached(name, options)));
      } catch (e) {
        if (e instanceof RepoObjectMissing) return; // forgotten meanwhile by another device
        const why = this.unreadableWhy(e);
        this.unreadable.set(name.id, why);
        this.cache?.delete(name);
        this.onSkip?.(name, why);
      }
    });
    // a snapshot the server stopped listing may be hidden, not forgotten: its cached copy is kept as evidence
    // (this device's own forget removes its copies itself)
    this.cache?.retain('snapshots', new Set(names.map((n) => n.id)), { quarantine: true });
    this.rollbacks = this.seen?.observe(out) ?? [];
    if (this.acceptRollback && this.rollbacks.length > 0) {
      this.seen?.accept(this.rollbacks.map((r) => r.group), out);
      this.accepted.push(...this.rollbacks);
      this.rollbacks = [];
    }
    return out;
  }

  /** A tree blob, decoded and validated (tree packs are read whole and cached). */
  async tree(id: string, options: CallOptions = {}): Promise<Tree> {
    const known = this.trees.get(id);
    if (known !== undefined) return known;
    if (!this.treeBytes.has(id)) {
      const loc = this.index.lookup(id);
      if (loc === undefined) throw damaged(`tree ${id} is not in the index${this.skippedIndexes()}`);
      // every tree of the pack is opened once (and once only while it is being read): the others are decoded
      // from these bytes when asked for
      // a pack whose trees claim more plaintext than an honest one holds (docs/repository.md "Limits"): only the tree asked for
      let claimed = 0;
      for (const b of loc.pack.blobs) claimed += b.u;
      const one = claimed > TREE_PACK_PLAIN_BYTES;
      const key = one ? `${loc.pack.id}/${id}` : loc.pack.id;
      let reading = this.treePacks.get(key);
      if (reading === undefined) {
        reading = readBlobs(this, loc.pack, one ? [loc.blob] : loc.pack.blobs, (b, plain) => {
          if (!this.trees.has(b.id) && !this.treeBytes.has(b.id)) this.treeBytes.set(b.id, new Uint8Array(plain));
        }, options).finally(() => this.treePacks.delete(key));
        this.treePacks.set(key, reading);
      }
      await reading;
      const decoded = this.trees.get(id); // by a caller that waited for the same pack
      if (decoded !== undefined) return decoded;
    }
    const bytes = this.treeBytes.get(id);
    if (bytes === undefined) throw damaged(`tree ${id} is not in pack ${this.index.lookup(id)?.pack.id ?? '?'}`);
    const tree = decodeTree(bytes);
    this.treeBytes.delete(id);
    this.trees.set(id, tree);
    return tree;
  }

  private readonly treeBytes = new Map<string, Uint8Array>();
  private readonly treePacks = new Map<string, Promise<void>>();

  /** A blob's plaintext (a ranged read of its pack); a blob the index does not hold is damage. */
  async loadBlob(id: string, options: CallOptions = {}): Promise<Uint8Array> {
    const loc = this.index.lookup(id);
    if (loc === undefined) throw damaged(`blob ${id} is not in the index${this.skippedIndexes()}`);
    let got: Uint8Array | undefined;
    await readBlobs(this, loc.pack, [loc.blob], (_b, plain) => {
      got = new Uint8Array(plain);
    }, options);
    return got!;
  }

  /** The snapshot commit: the snapshot object, encrypted under K, stored and cached; returns its stored bytes. */
  async putSnapshot(snapshot: Snapshot, options: CallOptions = {}): Promise<number> {
    const body = encryptObject(this.keys, encodeJson(snapshot));
    await this.store.put({ type: 'snapshots', id: snapshot.id }, body, options);
    this.cache?.put({ type: 'snapshots', id: snapshot.id }, body);
    return body.length;
  }

  async putIndex(packs: IndexObject['packs'], supersedes: string[] = [], options: CallOptions = {}): Promise<{ obj: IndexObject; bytes: number }> {
    const obj: IndexObject = { version: 1, id: newId(), supersedes, packs };
    const body = encryptObject(this.keys, encodeJson(obj));
    await this.store.put({ type: 'index', id: obj.id }, body, options);
    this.cache?.put({ type: 'index', id: obj.id }, body);
    this.index.addObject(obj);
    return { obj, bytes: body.length };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

function toConfig(obj: Record<string, unknown>): RepoConfig {
  const c = obj.chunker as RepoConfig['chunker'] | undefined;
  if (obj.version !== 1) throw new ClientError('usage', `repository version ${String(obj.version)} is not supported by this bkv: upgrade bkv`);
  // a repository keeps the chunk sizes it was made with (new data then dedups against old); new ones get CHUNKER_PARAMS
  if (c === undefined || typeof c !== 'object' || !usableParams({ minSize: c.min, avgSize: c.avg, maxSize: c.max })) {
    throw new ClientError('usage', 'repository uses chunker parameters this bkv does not support: upgrade bkv');
  }
  return { version: 1, id: obj.id as string, created: String(obj.created), chunker: c };
}

function build(store: RepoStore, key: BackupKey | Uint8Array, config: RepoConfig, options: RepositoryOptions): Repository {
  const cache = options.home === undefined ? undefined : new RepoCache(join(options.home, 'cache', config.id));
  const seen = options.home === undefined ? undefined : new SeenRecord(join(options.home, 'seen', `${config.id}.json`));
  const params = { minSize: config.chunker.min, avgSize: config.chunker.avg, maxSize: config.chunker.max };
  const repo = new Repository(store, deriveRepoKeys(key, params), config, cache, new BlobPool(options.workers), seen);
  repo.acceptRollback = options.acceptRollback === true;
  return repo;
}

/** Opens the account's repository under K; refuses one under another key. Rejects with not-found if none. */
export async function openRepository(store: RepoStore, key: BackupKey | Uint8Array, options: RepositoryOptions = {}): Promise<Repository> {
  const status = await store.status(options);
  if (status.repositoryId === null) throw new ClientError('usage', 'this account has no repository yet: run bkv backup (it creates one) or bkv init');
  const keys = deriveRepoKeys(key);
  let obj;
  try {
    obj = await getJson(store, keys, { type: 'config', id: status.repositoryId }, options);
  } catch (e) {
    if (isAgeError(e, 'no-match')) throw otherKeyError(e);
    throw e;
  }
  const config = toConfig(obj);
  // K opened it: from now on its changes are signed, and a repository made before keys were registered gets K's
  // key now (create-only; docs/threat-model.md "Signed requests")
  store.signWith?.(keyBytes(key));
  await store.registerSigningKey?.(options);
  return build(store, key, config, options);
}

/** Creates the repository's config under K (the create-only route: an existing one is kept and opened). */
export async function initRepository(store: RepoStore, key: BackupKey | Uint8Array, options: RepositoryOptions = {}): Promise<Repository> {
  const status = await store.status(options);
  if (status.repositoryId !== null) return openRepository(store, key, options);
  const keys = deriveRepoKeys(key);
  const config: RepoConfig = {
    version: 1, id: newId(), created: new Date().toISOString(),
    chunker: { min: CHUNKER_PARAMS.minSize, avg: CHUNKER_PARAMS.avgSize, max: CHUNKER_PARAMS.maxSize },
  };
  const body = encryptObject(keys, encodeJson(config));
  store.signWith?.(keyBytes(key));
  try {
    await store.createConfig(config.id, body, options);
  } catch (e) {
    if (e instanceof BkvError && e.code === 'repository-exists') return openRepository(store, key, options);
    throw e;
  }
  return build(store, key, config, options);
}

/** Opens the repository, creating it first when the account has none. */
export async function openOrInitRepository(store: RepoStore, key: BackupKey | Uint8Array, options: RepositoryOptions = {}): Promise<Repository> {
  const status = await store.status(options);
  return status.repositoryId === null ? initRepository(store, key, options) : openRepository(store, key, options);
}

export { putJson };
