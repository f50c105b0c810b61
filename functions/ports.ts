// The small ports the services depend on. Adapters live in functions/adapters (AWS) and local/ (one machine).

/** What a KMS ciphertext is for; part of its encryption context, with the account (invariant 6). */
export type SealPurpose = 'sealed-key' | 'opaque-record' | 'login-state' | 'server-setup' | 'realm-record';
export const SEAL_PURPOSES: readonly SealPurpose[] = ['sealed-key', 'opaque-record', 'login-state', 'server-setup', 'realm-record'];

export interface SealContext {
  purpose: SealPurpose;
  /** The account the data belongs to; `DEPLOYMENT_ACCOUNT` for deployment-wide secrets. */
  account: string;
}

/** Account value in the context of deployment-wide secrets (no JWT `sub` can take it: see http/request.ts). */
export const DEPLOYMENT_ACCOUNT = '#deployment';

/**
 * Partition key of the deployment's config item (the sealed OPAQUE server setup) in the vault table. No JWT `sub`
 * can take it either; the table grants (lib/constructs/vault-table.ts) deny route functions any write to it.
 */
export const CONFIG_PARTITION = '#config';
/** Sort key of the sealed OPAQUE server setup under CONFIG_PARTITION. */
export const SERVER_SETUP_SK = 'opaque-server-setup';

/** Authenticated encryption bound to a context: KMS in AWS, AES-256-GCM under a key file locally. */
export interface Sealer {
  seal(plaintext: Uint8Array, context: SealContext): Promise<Uint8Array>;
  /** Throws BkvError('internal') when the blob was not sealed under this exact context. */
  unseal(sealed: Uint8Array, context: SealContext): Promise<Uint8Array>;
}

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export interface PendingLogin {
  loginId: string;
  /** Sealed OPAQUE server login state (purpose `login-state`). */
  state: Uint8Array;
  expiresAt: number;
}

/** A registration start waiting for its finish: the credential identifier the server drew for it. */
export interface PendingRegistration {
  registrationId: string;
  /** Fresh random OPAQUE credential identifier (never reused); the OPRF key of the record it will finish. */
  credentialId: Uint8Array;
  expiresAt: number;
}

/**
 * The vault's state machine (docs/protocol.md "States of a vault"):
 * - `empty`: never registered, or deleted (the item keeps only its generation, so generations are never reused);
 * - `live`: a record and a sealed key, an attempt counter and at most one pending login;
 * - `destroyed`: the count was spent; record and sealed key are gone (crypto-shredded).
 * A registration finish moves any state to `live`; a spent count moves `live` to `destroyed`; DELETE moves any
 * state to `empty`. A pending registration can exist in every state and is consumed by its finish.
 */
export type VaultState = 'empty' | 'live' | 'destroyed';

/** The single DynamoDB item of an account's vault. */
export interface VaultItem {
  account: string;
  state: VaultState;
  /** Registrations so far, across deletes (0 before the first); the guard of every conditional write. */
  generation: number;
  maxAttempts: number;
  attempts: number;
  /** The live record's OPAQUE credential identifier. */
  credentialId?: Uint8Array;
  /** Sealed OPAQUE registration record; only when live. */
  record?: Uint8Array;
  /** Sealed (KMS-wrapped) client-sealed backup key; only when live. */
  sealedKey?: Uint8Array;
  pending?: PendingLogin;
  registration?: PendingRegistration;
  updatedAt: number;
}

export interface Registration {
  /** The pending registration this finishes; the write is conditional on it being unexpired and unchanged. */
  registrationId: string;
  credentialId: Uint8Array;
  record: Uint8Array;
  sealedKey: Uint8Array;
  maxAttempts: number;
  now: number;
}

export interface FinishLogin {
  generation: number;
  loginId: string;
  /** The count read together with the pending login; the write is conditional on it being unchanged. */
  attempts: number;
  now: number;
  outcome: 'success' | 'failure';
  /** With a failure: also crypto-shred the record and sealed key (the count is spent). */
  destroy: boolean;
}

/**
 * Vault persistence. Every state change is one conditional write on the account's one item (no transactions,
 * no TTL: the production table is a DynamoDB MRSC global table). Reads are strongly consistent.
 */
export interface VaultStore {
  /** The item, or undefined when the account never had one. */
  get(account: string): Promise<VaultItem | undefined>;
  /** Stores a pending registration, replacing any earlier one; the vault's state is otherwise unchanged. */
  startRegistration(account: string, registration: PendingRegistration, now: number): Promise<void>;
  /**
   * Replaces the whole record with the pending registration `registrationId` (consuming it) if it is unexpired
   * and has this credential identifier: generation + 1, attempts 0, pending login dropped. Returns the new
   * generation, or undefined if refused.
   */
  register(account: string, registration: Registration): Promise<number | undefined>;
  /**
   * Counts a login attempt and stores its pending login, replacing any earlier one, only if the item has this
   * generation, is live and `attempts < maxAttempts`. Returns the new count, or undefined if refused.
   */
  startLogin(account: string, generation: number, pending: PendingLogin, now: number): Promise<number | undefined>;
  /** Consumes the pending login `loginId` if it is unexpired and unchanged. Returns false if refused. */
  finishLogin(account: string, finish: FinishLogin): Promise<boolean>;
  /**
   * Crypto-shreds the record and sealed key if the count is spent and no pending login is still live.
   * Returns true if this call destroyed it.
   */
  destroyIfSpent(account: string, generation: number, now: number): Promise<boolean>;
  /** Empties the vault (record, key, pending login and registration gone), keeping the generation. Idempotent. */
  delete(account: string, now: number): Promise<void>;
  /** Deployment-wide sealed OPAQUE server setup. */
  getServerSetup(): Promise<Uint8Array | undefined>;
  /** Stores it unless one exists; returns the one that is stored afterwards. */
  putServerSetupIfAbsent(sealed: Uint8Array): Promise<Uint8Array>;
}

// ---- Realm (docs/protocol.md "Realms") ----

/** A counted recovery start waiting for its unlock proof: the realm's fresh single-use challenge. */
export interface PendingRecovery {
  challenge: Uint8Array;
  expiresAt: number;
}

/**
 * The single item of an account at one realm; the same states as a vault (VaultState): `empty` (never registered,
 * or deleted; the generation is kept), `live` (a sealed realm record, a counter, at most one pending recovery),
 * `destroyed` (the count was spent: the record is gone). A registration moves any state to `live`.
 */
export interface RealmItem {
  account: string;
  state: VaultState;
  generation: number;
  /** L, recorded at registration. */
  maxAttempts: number;
  attempts: number;
  /** The live registration's version (public: the salt's random half). */
  version?: Uint8Array;
  /** The realm record (protocol/realm/record.ts), sealed with purpose `realm-record`; only when live. */
  record?: Uint8Array;
  pending?: PendingRecovery;
  updatedAt: number;
}

export interface RealmRegistration {
  version: Uint8Array;
  record: Uint8Array;
  maxAttempts: number;
  now: number;
}

export interface FinishRecovery {
  generation: number;
  challenge: Uint8Array;
  /** The count read together with the pending recovery; the write is conditional on it being unchanged. */
  attempts: number;
  now: number;
  outcome: 'success' | 'failure';
  /** With a failure: also crypto-shred the record (the count is spent). */
  destroy: boolean;
}

/**
 * Realm persistence: one item per account, every state change one conditional write (no transactions, no TTL:
 * the production table is a DynamoDB MRSC global table). Reads are strongly consistent.
 */
export interface RealmStore {
  get(account: string): Promise<RealmItem | undefined>;
  /** Replaces everything (record, version, L), attempts 0, pending dropped; returns the new generation. */
  register(account: string, registration: RealmRegistration): Promise<number>;
  /** Counts a start and stores its challenge only if live, of this generation and `attempts < maxAttempts`. */
  startRecovery(account: string, generation: number, pending: PendingRecovery, now: number): Promise<number | undefined>;
  /** Consumes the pending recovery `challenge` if unexpired and unchanged; success resets the count. */
  finishRecovery(account: string, finish: FinishRecovery): Promise<boolean>;
  /** Crypto-shreds the record if the count is spent and no pending recovery is still live. */
  destroyIfSpent(account: string, generation: number, now: number): Promise<boolean>;
  /** Empties the item, keeping the generation. Idempotent. */
  delete(account: string, now: number): Promise<void>;
}

// ---- Repository (docs/protocol.md "Repository API", docs/repository.md "Objects") ----

/** One lock of an account's repository, inside the account's repo item. */
export interface RepoLockEntry {
  lockId: string;
  exclusive: boolean;
  /** Epoch ms; a lock past it does not count. */
  expiresAt: number;
  /** What a refresh extends it by. */
  ttlSeconds: number;
  description?: string;
  /** Epoch ms when it was taken: no refresh extends it past createdAt + its maximum life (functions/repo/locks.ts). Absent on locks taken before it was recorded. */
  createdAt?: number;
}

/**
 * Bytes reserved for upload URLs, kept in one of two slots so a recount can add back what may still arrive
 * (functions/repo/quota.ts): a slot counts until `countsUntil` (epoch ms), by when every URL whose bytes it holds has
 * expired, with a margin for uploads still running.
 */
export interface RepoReservation {
  slot: 0 | 1;
  bytes: number;
  countsUntil: number;
}

/** The one delete of an account's objects that may run (and release usage) at a time; it fences the release. */
export interface RepoDeleteLease {
  leaseId: string;
  /** Epoch ms; past it another delete or a recount may take over (the release of this one is then refused). */
  expiresAt: number;
}

/**
 * The single DynamoDB item of an account's repository (pk = account, sk = "repo"): the config id, the bytes
 * reserved or stored, the reservation slots, the delete lease and the locks. `version` guards the lock list
 * (optimistic check on read-modify-write); `quotaVersion` moves with every change of the usage.
 */
export interface RepoItem {
  account: string;
  repositoryId?: string;
  usedBytes: number;
  /** At most one per slot, live or not (the service decides which still count). */
  reservations: RepoReservation[];
  /** 0 before the first change of the usage. */
  quotaVersion: number;
  deleteLease?: RepoDeleteLease;
  locks: RepoLockEntry[];
  /** 0 before the first lock write. */
  version: number;
  /** The Ed25519 public key (base64url) every mutating request must be signed with; create-only. */
  signingKey?: string;
}

/** What recording a signature's nonce found: new (recorded), already recorded, or too many in its period. */
export type NonceUse = 'recorded' | 'replayed' | 'full';

export interface Reserve {
  bytes: number;
  quotaBytes: number;
  /** The slot of the current period and the time it must count until (functions/repo/quota.ts). */
  slot: 0 | 1;
  countsUntil: number;
  now: number;
}

/**
 * Repository metadata. Every change is one conditional UpdateItem on the account's one item (no transactions, no
 * TTL: the production table is an MRSC global table; expiry only by timestamps inside conditions). Reads are
 * strongly consistent. The usage: `reserve` adds, `release` subtracts (under the delete lease), `recount` sets it.
 */
export interface RepoItemStore {
  get(account: string): Promise<RepoItem | undefined>;
  /** Records the config id unless another one is recorded; returns the id recorded afterwards. */
  setRepositoryId(account: string, repositoryId: string, now: number): Promise<string>;
  /** Records the signing key unless another one is recorded; returns the key recorded afterwards. */
  setSigningKey(account: string, signingKey: string, now: number): Promise<string>;
  /**
   * Records a signature's nonce until `expiresAt` (epoch ms, at most MAX_SIGNATURE_AHEAD_S after `now`) with one
   * conditional write: 'replayed' (nothing changed) when it is recorded and not yet expired, 'full' when the
   * account's nonces of that period reached their bound (MAX_NONCES_PER_PERIOD). Expired nonces are forgotten.
   */
  useNonce(account: string, nonce: string, expiresAt: number, now: number): Promise<NonceUse>;
  /**
   * Adds `bytes` to the usage and to the reservation slot, only if the usage stays within `quotaBytes`; false
   * (nothing changed) otherwise. A slot that still counts keeps its bytes and counts at least until `countsUntil`;
   * a slot that no longer counts starts again from `bytes`.
   */
  reserve(account: string, r: Reserve): Promise<boolean>;
  /** Takes the delete lease unless another one is live; false (nothing changed) otherwise. */
  claimDeletes(account: string, lease: RepoDeleteLease, now: number): Promise<boolean>;
  /**
   * Subtracts `bytes` from the usage (never below 0) and ends the lease, only if the lease is still `leaseId`;
   * false (nothing changed) otherwise.
   */
  release(account: string, leaseId: string, bytes: number, now: number): Promise<boolean>;
  /** Replaces the lock list if the item's version is still `version`; false (nothing changed) otherwise. */
  writeLocks(account: string, version: number, locks: readonly RepoLockEntry[], now: number): Promise<boolean>;
  /**
   * Sets the usage to `usedBytes` if `quotaVersion` is still `seenQuotaVersion` (nothing reserved, released or
   * recounted since it was read) and no delete lease is live; ends an expired lease (its release is then refused).
   */
  recount(account: string, seenQuotaVersion: number, usedBytes: number, now: number): Promise<boolean>;
  /**
   * Forgets the repository (config id, locks, delete lease) if `quotaVersion` is still `seenQuotaVersion`: removes
   * the item when `keepBytes` is 0, else keeps only the usage `keepBytes` (what reservations still count) and the
   * slots. False (nothing changed) otherwise; true when there was no item.
   */
  delete(account: string, seenQuotaVersion: number, keepBytes: number, now: number): Promise<boolean>;
}

export interface StoredObject {
  key: string;
  size: number;
}

/** A presigned PUT: the client sends exactly `headers` (signed into the URL) with a body of the signed length. */
export interface PresignedUpload {
  url: string;
  headers: Record<string, string>;
}

/**
 * Repository object storage: S3 in AWS, the local runtime's file-backed S3 subset (local/object-store/). Object
 * bytes move only through presigned URLs, never through this process. Keys are chosen by the service (repo/keys.ts);
 * adapters only translate (SDK errors → BkvError).
 */
export interface ObjectStore {
  /** A presigned PUT of exactly `size` bytes (content-length is signed). */
  presignPut(key: string, size: number, expiresInS: number): Promise<PresignedUpload>;
  presignGet(key: string, expiresInS: number): Promise<string>;
  /** One page of keys under `prefix` after `startAfter`, in key order. */
  list(prefix: string, options: { startAfter?: string; maxKeys: number }): Promise<{ objects: StoredObject[]; truncated: boolean }>;
  /** The object's size and when it was last written (epoch ms), or undefined when it is not there. */
  head(key: string): Promise<{ size: number; lastModified: number } | undefined>;
  /**
   * Deferred: a deleted object stays recoverable for the deployment's retention (S3 versioning with
   * noncurrent-version expiration; the local object store's trash). Idempotent: missing keys are fine.
   */
  deleteObjects(keys: readonly string[]): Promise<void>;
  /**
   * Undoes deletions under `prefix`: every key after `keyMarker` whose newest state is a deletion made at or after
   * `since` (epoch ms) is made current again (its delete markers since then removed). One page of keys per call;
   * `next` is the key marker of the next page.
   */
  undeletePage(prefix: string, since: number, keyMarker?: string): Promise<{ restored: string[]; next?: string }>;
}
