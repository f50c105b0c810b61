// The small ports the services depend on. Adapters live in functions/adapters (AWS) and local/ (one machine).

/** What a KMS ciphertext is for; part of its encryption context, with the account (invariant 6). */
export type SealPurpose = 'sealed-key' | 'opaque-record' | 'login-state' | 'server-setup';
export const SEAL_PURPOSES: readonly SealPurpose[] = ['sealed-key', 'opaque-record', 'login-state', 'server-setup'];

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

// ---- Backups (docs/protocol.md, "Storage API") ----

export interface UploadedPart {
  partNumber: number;
  /** The ETag S3 answered to the part's PUT. */
  etag: string;
}

export interface BlobHead {
  size: number;
  etag?: string;
}

export interface MultipartUpload {
  key: string;
  uploadId: string;
  initiatedAt: number;
}

export interface BlobEntry {
  key: string;
  lastModified: number;
}

/**
 * Backup blob storage: S3 in AWS, s3rver locally. Blob bytes move only through presigned URLs, never through
 * this process. Keys are chosen by the backups service; adapters only translate (SDK errors → BkvError).
 */
export interface BlobStore {
  /** A presigned PUT of the whole object, exactly `size` bytes. */
  presignPut(key: string, size: number, expiresInS: number): Promise<string>;
  /** Starts a multipart upload; returns its upload id. */
  createMultipartUpload(key: string): Promise<string>;
  /** A presigned PUT of one part, exactly `size` bytes. */
  presignPart(key: string, uploadId: string, partNumber: number, size: number, expiresInS: number): Promise<string>;
  /**
   * Assembles the parts. 'no-such-upload' when the upload is gone (completed before, or aborted);
   * BkvError('bad-request') when the parts do not match what was uploaded (the upload stays open).
   */
  completeMultipartUpload(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<'completed' | 'no-such-upload'>;
  /** Idempotent. */
  abortMultipartUpload(key: string, uploadId: string): Promise<void>;
  listMultipartUploads(prefix: string): Promise<MultipartUpload[]>;
  /** Size and ETag of the object in the primary bucket; undefined when it is not there. */
  head(key: string): Promise<BlobHead | undefined>;
  /**
   * A presigned GET of the object, from the fallback bucket (another region) when the primary does not have it
   * yet; undefined when neither has it.
   */
  presignGet(key: string, expiresInS: number): Promise<string | undefined>;
  listObjects(prefix: string): Promise<BlobEntry[]>;
  /** Idempotent: missing keys are fine. */
  deleteObjects(keys: readonly string[]): Promise<void>;
}

/** pending: URLs handed out, not completed; committed: listed and downloadable; deleting: on its way out. */
export type BackupState = 'pending' | 'committed' | 'deleting';

/** One backup's metadata: an item (pk = account, sk = "backup#<backupId>") in the vault table. */
export interface BackupRecord {
  account: string;
  backupId: string;
  state: BackupState;
  /** Declared size in bytes (checked against the object before commit). */
  size: number;
  partSize: number;
  partCount: number;
  /** Multipart upload id; absent for a single PUT. */
  uploadId?: string;
  /** When `POST /v1/backups` made it (ms); the wire `createdAt`. */
  createdAt: number;
  /** When its upload URLs expire (ms). */
  expiresAt: number;
  committedAt?: number;
}

/**
 * Backup metadata. Every state change is one conditional write on one item (no transactions, no TTL: the
 * production table is an MRSC global table). Reads are strongly consistent.
 */
export interface BackupStore {
  /** All of an account's records, any state, newest backupId first. */
  list(account: string): Promise<BackupRecord[]>;
  get(account: string, backupId: string): Promise<BackupRecord | undefined>;
  /** Writes a new pending record; false if that backupId exists. */
  createPending(record: BackupRecord): Promise<boolean>;
  /** pending → committed; false if it is not pending any more. */
  commit(account: string, backupId: string, committedAt: number): Promise<boolean>;
  /** `from` → deleting; false if it is not in state `from`. */
  markDeleting(account: string, backupId: string, from: 'pending' | 'committed'): Promise<boolean>;
  /** Removes a deleting record (idempotent; a record in another state is kept). */
  remove(account: string, backupId: string): Promise<void>;
  /** Accounts with a pending or deleting record: a Scan, for the local runtime's start-up cleanup only. */
  accountsWithUnfinished(): Promise<string[]>;
}
