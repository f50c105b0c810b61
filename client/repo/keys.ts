// The keys of a repository, all derived from the backup key K with HKDF-SHA256 (docs/repository.md "Keys"):
// the age identity every object is encrypted to, the chunker's gear table and the HMAC key that names blobs.

import { BackupKey } from '../backup-key.js';
import { hkdfSync } from 'node:crypto';
import { backupIdentityScalar } from '../backup-crypto.js';
import { x25519PublicKey } from '../age/index.js';
import { CHUNKER_PARAMS, chunkerTables, type ChunkerParams, type ChunkerTables } from './blobs/chunker.js';

export const BLOB_ID_LABEL = 'bkv/v1/blob-id';

export interface RepoKeys {
  /** X25519 secret scalar of K's age identity. */
  identity: Uint8Array;
  /** Its public key: the recipient of every object. */
  recipient: Uint8Array;
  /** HMAC-SHA256 key of blob ids. */
  blobIdKey: Uint8Array;
  chunker: ChunkerTables;
}

export function blobIdKey(key: Uint8Array): Uint8Array {
  if (key.length !== 32) throw new RangeError('backup key must be 32 bytes');
  return new Uint8Array(hkdfSync('sha256', key, new Uint8Array(0), Buffer.from(BLOB_ID_LABEL, 'utf8'), 32));
}

export function deriveRepoKeys(backupKey: BackupKey | Uint8Array, params: ChunkerParams = CHUNKER_PARAMS): RepoKeys {
  const key = backupKey instanceof BackupKey ? backupKey.exposeBytes() : backupKey;
  const identity = backupIdentityScalar(key);
  return { identity, recipient: x25519PublicKey(identity), blobIdKey: blobIdKey(key), chunker: chunkerTables(key, params) };
}
