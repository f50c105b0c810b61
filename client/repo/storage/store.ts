// The repository storage port (docs/repository.md "Objects", docs/protocol.md "Repository API"): what the snapshot
// engine needs from wherever the account's repository lives. Objects are immutable, named `<type>/<id>`, and
// opaque here (each is an age file; the engine encrypts before `put` and decrypts after `get`). Two adapters keep
// one contract (test/client/repo/storage/store.case.ts): memory (tests) and HTTP (the server's presigned URLs).
//
// Contract, for every adapter:
// - `put` stores the bytes under the name; putting a name that exists is allowed only with the same bytes
//   (writers draw random ids, so that is a retry) and must not fail. A put beyond the account's quota rejects
//   with BkvError('quota-exceeded'); nothing is stored.
// - `get` returns the object's bytes, or the `length` bytes at `offset` (a ranged read); a missing object rejects
//   with RepoObjectMissing; a range beyond the end returns what exists (possibly empty).
// - `list(type)` yields every stored object of the type once, in id order.
// - `delete` needs a live exclusive lock of this repository and reports what it deleted and what was not there.
// - `createConfig` stores the one `config` object; if the repository already has one (another id) it rejects
//   with BkvError('repository-exists') and changes nothing; with the same id it is a retry.
// - Locks: any number of shared holders or one exclusive holder; `lock` rejects with
//   BkvError('repository-locked') (details: who holds it, until when) when that would break the rule; a lock
//   lives `ttlSeconds` unless refreshed; `refresh` of an expired or removed lock rejects with
//   BkvError('lock-lost'); `unlock` of an unknown lock is not an error.
// - Every method takes an optional AbortSignal and rejects with the signal's reason when it is aborted.

export const OBJECT_TYPES = ['config', 'snapshots', 'index', 'data'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

/** 32 random bytes as 64 lowercase hex digits. */
export const OBJECT_ID_PATTERN = /^[0-9a-f]{64}$/;

export interface ObjectName {
  type: ObjectType;
  id: string;
}

export interface ObjectInfo extends ObjectName {
  size: number;
}

export interface RepoStatus {
  /** The id of the repository's config object, or null before `createConfig`. */
  repositoryId: string | null;
  usedBytes: number;
  quotaBytes: number;
  /** The public key mutating requests must be signed with (HTTP adapter), or null before one is registered. */
  signingKey?: string | null;
  /** The live locks (HTTP adapter), for `bkv unlock --remove-all`. */
  locks?: (RepoLock & { description?: string })[];
}

export interface RepoLock {
  lockId: string;
  exclusive: boolean;
  /** Epoch milliseconds. */
  expiresAt: number;
}

export interface LockRequest {
  exclusive: boolean;
  ttlSeconds?: number;
  /** Shown to other holders in 'repository-locked' (host name, command). */
  description?: string;
}

export interface Range {
  offset: number;
  length: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** A presigned request for one object's bytes: its URL and the headers to send with it. */
export interface DirectRequest {
  url: string;
  headers?: Record<string, string>;
}

export interface RepoStore {
  status(options?: CallOptions): Promise<RepoStatus>;
  createConfig(repositoryId: string, body: Uint8Array, options?: CallOptions): Promise<void>;
  /** Once it settles, the store keeps no reference to `body` (the caller reuses its memory). */
  put(name: ObjectName, body: Uint8Array, options?: CallOptions): Promise<void>;
  get(name: ObjectName, range?: Range, options?: CallOptions): Promise<Uint8Array>;
  list(type: ObjectType, options?: CallOptions): AsyncIterable<ObjectInfo>;
  delete(names: readonly ObjectName[], lockId: string, options?: CallOptions): Promise<{ deleted: ObjectName[]; missing: ObjectName[] }>;
  lock(request: LockRequest, options?: CallOptions): Promise<RepoLock>;
  refresh(lockId: string, options?: CallOptions): Promise<RepoLock>;
  unlock(lockId: string, options?: CallOptions): Promise<void>;
  /**
   * HTTP adapters: the presigned request of an upload of exactly `size` bytes, or of a download, for a blob
   * worker to send itself (so the bytes never pass through the caller's thread). A worker makes one attempt;
   * whatever it could not do is done through put and get. Adapters without URLs leave these out.
   */
  uploadRequest?(name: ObjectName, size: number, options?: CallOptions): Promise<DirectRequest>;
  downloadRequest?(name: ObjectName, options?: CallOptions): Promise<DirectRequest>;
  /**
   * The worker's upload to the uploadRequest URL of `name` succeeded. Until then the adapter keeps that URL, so
   * that a put of the same bytes after a failed attempt goes to it (its bytes are reserved of the quota once).
   */
  uploaded?(name: ObjectName): void;
  /**
   * Deletion is deferred (docs/repository.md "Deleted objects"): brings back, under a live exclusive lock, the
   * objects deleted at or after `since` that are still within the store's retention; one page a call (`after`:
   * the previous page's `next`). Both SDK adapters keep deleted objects; a test double may leave it out.
   */
  undelete?(since: number, lockId: string, after?: string, options?: CallOptions, scope?: UndeleteScope): Promise<{ restored: ObjectName[]; next?: string }>;
  /**
   * HTTP adapter (docs/protocol.md "Signed requests"): signs every mutating request from now on with the signing key
   * derived from K; `registerSigningKey`, once K opened the repository, registers that key when the repository has
   * none yet (create-only). Adapters without signatures leave these out.
   */
  signWith?(backupKey: Uint8Array): void;
  registerSigningKey?(options?: CallOptions): Promise<void>;
  /** Hands back the memory of a body `get` returned, which the caller no longer uses, for the store to reuse. */
  recycle?(body: ArrayBuffer): void;
}

/** What an undelete may bring back: objects of one type (paged), or these objects only (one call). */
export interface UndeleteScope {
  type?: ObjectType;
  objects?: readonly ObjectName[];
}

/** A store that hands out presigned requests (the HTTP adapter). */
export type DirectStore = RepoStore & Required<Pick<RepoStore, 'uploadRequest' | 'downloadRequest'>>;

export function isDirectStore<S extends Pick<RepoStore, 'uploadRequest' | 'downloadRequest'>>(store: S): store is S & Required<Pick<RepoStore, 'uploadRequest' | 'downloadRequest'>> {
  return store.uploadRequest !== undefined && store.downloadRequest !== undefined;
}

/** A named object is not in the repository (deleted, never written, or lost by the storage). */
export class RepoObjectMissing extends Error {
  constructor(readonly object: ObjectName) {
    super(`object ${object.type}/${object.id} is missing from the repository`);
    this.name = 'RepoObjectMissing';
  }
}
