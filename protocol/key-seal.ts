// The sealed backup key (docs/protocol.md "Sealed key"): what a client hands the vault instead of K.
//   key     = HKDF-SHA256(ikm = OPAQUE export key (64 bytes), salt = empty, info = "bkv/v1/sealed-key", L = 32)
//   sealed  = 0x01 ‖ nonce(12) ‖ AES-256-GCM(key, nonce, K, aad = 0x01 ‖ UTF-8(account id)) ‖ tag(16)   (61 bytes)
// Binding the account id means a sealed key copied to another account does not open there.

import { decodeBase64url } from './base64url.js';
import { BkvError } from './errors.js';
import { HKDF_LABELS } from './constants.js';
import { gcmOpen, gcmSeal, hkdf32 } from './aead.js';
import type { RandomBytes } from './random.js';

export const SEALED_KEY_VERSION = 1;
export const BACKUP_KEY_BYTES = 32;
export const SEALED_KEY_V1_BYTES = 1 + 12 + BACKUP_KEY_BYTES + 16;

function sealKey(exportKey: string): Uint8Array {
  const ikm = decodeBase64url(exportKey);
  if (ikm === undefined || ikm.length !== 64) throw new BkvError('bad-request', 'export key must be 64 bytes');
  return hkdf32(ikm, HKDF_LABELS.sealedKey);
}

function aad(accountId: string): Uint8Array {
  return Buffer.concat([Buffer.of(SEALED_KEY_VERSION), Buffer.from(accountId, 'utf8')]);
}

export function sealBackupKey(exportKey: string, accountId: string, backupKey: Uint8Array, random?: RandomBytes): Uint8Array {
  if (backupKey.length !== BACKUP_KEY_BYTES) throw new RangeError('backup key must be 32 bytes');
  const body = gcmSeal(sealKey(exportKey), backupKey, aad(accountId), random);
  return new Uint8Array(Buffer.concat([Buffer.of(SEALED_KEY_VERSION), body]));
}

export function openBackupKey(exportKey: string, accountId: string, sealed: Uint8Array): Uint8Array {
  if (sealed.length !== SEALED_KEY_V1_BYTES || sealed[0] !== SEALED_KEY_VERSION) {
    throw new BkvError('bad-request', 'unsupported sealed key format');
  }
  const key = gcmOpen(sealKey(exportKey), sealed.subarray(1), aad(accountId));
  if (key === undefined) throw new BkvError('bad-request', 'sealed key does not open for this account');
  return key;
}
