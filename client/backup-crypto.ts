// Backup files under the backup key K: standard age v1 files (c2sp.org/age) encrypted to one X25519 recipient
// derived from K. The identity scalar is HKDF-SHA256(ikm = K, salt = empty, info = "bkv/v1/age-identity"),
// 32 bytes, so anyone holding K (the 64-digit key) can print the `AGE-SECRET-KEY-1…` identity and decrypt a
// backup with the standard `age` tool (docs/protocol.md "Backup files (age v1)").

import { hkdf32 } from '../protocol/aead.js';
import { HKDF_LABELS } from '../protocol/constants.js';
import {
  type AgeDecryptStream, type AgeEncryptStream, type ParallelOptions, createDecryptStream, createEncryptStream, decrypt,
  encodeIdentity, encodeRecipient, encrypt, x25519PublicKey,
} from './age/index.js';
import { BACKUP_KEY_BYTES, backupKeyBytes, type BackupKey } from './backup-key.js';
import type { RandomBytes } from '../protocol/random.js';

const CHUNK = 64 * 1024;
const TAG = 16;
const NONCE = 16;
/** Header bytes of a file with one X25519 stanza: version line, stanza line, 32-byte body, MAC line. */
const HEADER_BYTES = 'age-encryption.org/v1\n'.length + '-> X25519 \n'.length + 43 + 43 + 1 + '--- \n'.length + 43;

/** The 32-byte X25519 secret scalar of K. */
export function backupIdentityScalar(input: BackupKey | Uint8Array): Uint8Array {
  const key = backupKeyBytes(input);
  if (!(key instanceof Uint8Array) || key.length !== BACKUP_KEY_BYTES) throw new RangeError('backup key must be 32 bytes');
  return hkdf32(key, HKDF_LABELS.ageIdentity);
}

/** `AGE-SECRET-KEY-1…`: the age identity that decrypts every backup made under K. */
export function backupAgeIdentity(key: BackupKey | Uint8Array): string {
  return encodeIdentity(backupIdentityScalar(key));
}

/** `age1…`: the age recipient backups under K are encrypted to. */
export function backupAgeRecipient(key: BackupKey | Uint8Array): string {
  return encodeRecipient(x25519PublicKey(backupIdentityScalar(key)));
}

/** The exact size of the backup file for `plaintextBytes` bytes (one recipient, as this module writes). */
export function backupEncryptedSize(plaintextBytes: number): number {
  if (!Number.isSafeInteger(plaintextBytes) || plaintextBytes < 0) throw new RangeError('size must be a non-negative integer');
  return HEADER_BYTES + NONCE + plaintextBytes + TAG * Math.max(1, Math.ceil(plaintextBytes / CHUNK));
}

export interface BackupStreamOptions extends ParallelOptions {
  /** Randomness for the file key, nonce and ephemeral share (tests inject one). */
  random?: RandomBytes;
}

/** Transform: plaintext in, age file for K out. */
export function createBackupEncryptStream(key: BackupKey | Uint8Array, options: BackupStreamOptions = {}): AgeEncryptStream {
  return createEncryptStream({ ...options, recipients: [x25519PublicKey(backupIdentityScalar(key))] });
}

/** Transform: age file in, plaintext out; a file for another key fails with AgeError 'no-match' ("wrong key"). */
export function createBackupDecryptStream(key: BackupKey | Uint8Array, options: ParallelOptions = {}): AgeDecryptStream {
  return createDecryptStream({ ...options, identities: [backupIdentityScalar(key)] });
}

export function encryptBackup(plaintext: Uint8Array, key: BackupKey | Uint8Array, options: BackupStreamOptions = {}): Promise<Uint8Array> {
  return encrypt(plaintext, { ...options, recipients: [x25519PublicKey(backupIdentityScalar(key))] });
}

export function decryptBackup(file: Uint8Array, key: BackupKey | Uint8Array, options: ParallelOptions = {}): Promise<Uint8Array> {
  return decrypt(file, { ...options, identities: [backupIdentityScalar(key)] });
}
