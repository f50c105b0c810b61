// What a client registers at one realm (docs/protocol.md "Realms", register request), its fixed binary layout
// (the plaintext a realm seals under KMS as one blob), and the checks a realm runs before storing it, so a garbage
// registration is refused (400) instead of becoming a vault that no recovery can use.

import { BkvError } from '../errors.js';
import {
  COMMITMENT_BYTES, ED25519_PUBLIC_BYTES, ED25519_SIGNATURE_BYTES, ELEMENT_BYTES, ENCRYPTED_SECRET_BYTES, SCALAR_BYTES,
  VERSION_BYTES,
} from './constants.js';
import { ed25519Verify, equalBytes, isEd25519PublicKey, oprfPublicKeyMessage } from './keys.js';
import { elementFromBytes, publicKeyOf, scalarFromBytes } from './shamir.js';

export interface RealmRecord {
  version: Uint8Array;
  /** k_i, this realm's Shamir share of the registration's OPRF key. */
  oprfShare: Uint8Array;
  /** P_i = k_i·G. */
  oprfPublicKey: Uint8Array;
  /** Ed25519 signature of oprfPublicKeyMessage(realmId, version, P_i) by the registration's throwaway key. */
  oprfSignature: Uint8Array;
  /** The throwaway key's public half, the same at every realm of one registration. */
  signingKey: Uint8Array;
  unlockKeyCommitment: Uint8Array;
  /** Ed25519 public key of unlockSigningSeed(unlockKey, realmId): verifies unlock proofs. */
  unlockPublicKey: Uint8Array;
  /** e_i, this realm's share of the encryption scalar. */
  encryptionShare: Uint8Array;
  encryptedSecret: Uint8Array;
  secretCommitment: Uint8Array;
}

export const RECORD_FIELDS: readonly [keyof RealmRecord, number][] = [
  ['version', VERSION_BYTES],
  ['oprfShare', SCALAR_BYTES],
  ['oprfPublicKey', ELEMENT_BYTES],
  ['oprfSignature', ED25519_SIGNATURE_BYTES],
  ['signingKey', ED25519_PUBLIC_BYTES],
  ['unlockKeyCommitment', COMMITMENT_BYTES],
  ['unlockPublicKey', ED25519_PUBLIC_BYTES],
  ['encryptionShare', SCALAR_BYTES],
  ['encryptedSecret', ENCRYPTED_SECRET_BYTES],
  ['secretCommitment', COMMITMENT_BYTES],
];

const RECORD_FORMAT = 1;
export const RECORD_BYTES = 1 + RECORD_FIELDS.reduce((s, [, n]) => s + n, 0);

export function encodeRecord(r: RealmRecord): Uint8Array {
  const out = new Uint8Array(RECORD_BYTES);
  out[0] = RECORD_FORMAT;
  let at = 1;
  for (const [name, n] of RECORD_FIELDS) {
    if (r[name].length !== n) throw new RangeError(`${name} must be ${n} bytes`);
    out.set(r[name], at);
    at += n;
  }
  return out;
}

export function decodeRecord(bytes: Uint8Array): RealmRecord {
  if (bytes.length !== RECORD_BYTES || bytes[0] !== RECORD_FORMAT) throw new BkvError('internal', 'stored realm record has an unknown format');
  const r: Partial<RealmRecord> = {};
  let at = 1;
  for (const [name, n] of RECORD_FIELDS) {
    r[name] = bytes.slice(at, at + n);
    at += n;
  }
  return r as RealmRecord;
}

/** The record a registration box held (bytes the client chose): its layout, or BkvError('bad-request'). */
export function decodeBoxedRecord(bytes: Uint8Array): RealmRecord {
  if (bytes.length !== RECORD_BYTES || bytes[0] !== RECORD_FORMAT) throw new BkvError('bad-request', 'registration box does not hold a realm record');
  return decodeRecord(bytes);
}

/**
 * A realm's checks of a registration: every field of its exact length, the share a canonical non-zero scalar whose
 * public key is P_i, P_i signed for this realm and version, the unlock key a valid Ed25519 point, the encryption
 * share canonical. Throws BkvError('bad-request').
 */
export function checkRecord(realmId: Uint8Array, r: RealmRecord): void {
  for (const [name, n] of RECORD_FIELDS) {
    if (r[name].length !== n) throw new BkvError('bad-request', `${name} must be ${n} bytes`);
  }
  const share = scalarFromBytes(r.oprfShare, 'oprfShare');
  if (share === 0n) throw new BkvError('bad-request', 'oprfShare must not be zero');
  elementFromBytes(r.oprfPublicKey, 'oprfPublicKey');
  if (!equalBytes(publicKeyOf(share), r.oprfPublicKey)) throw new BkvError('bad-request', 'oprfPublicKey is not the public key of oprfShare');
  if (!ed25519Verify(r.signingKey, oprfPublicKeyMessage(realmId, r.version, r.oprfPublicKey), r.oprfSignature)) {
    throw new BkvError('bad-request', 'oprfSignature does not verify for this realm');
  }
  if (!isEd25519PublicKey(r.unlockPublicKey)) throw new BkvError('bad-request', 'unlockPublicKey is not an ed25519 public key');
  scalarFromBytes(r.encryptionShare, 'encryptionShare');
}
