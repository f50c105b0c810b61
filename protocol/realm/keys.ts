// The realm protocol's key schedule and signed messages (docs/protocol.md "Realms"), all from node:crypto
// (HKDF-SHA256, HMAC-SHA256, SHA-256) and @noble/curves (Ed25519, X25519). Pure functions: the client and the
// realm compute the same bytes from the same inputs, and test/vectors/realm-v1.json fixes them.

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ED25519_PUBLIC_BYTES, ED25519_SIGNATURE_BYTES, REALM_LABELS, SCALAR_BYTES, X25519_PUBLIC_BYTES } from './constants.js';
import { concat, lengthPrefixed, utf8 } from './encoding.js';

export function hkdf(ikm: Uint8Array, info: Uint8Array, length = 32): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), info, length));
}

export function hmac(key: Uint8Array, ...parts: (Uint8Array | string)[]): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(concat(...parts)).digest());
}

export function sha256(...parts: (Uint8Array | string)[]): Uint8Array {
  return new Uint8Array(createHash('sha256').update(concat(...parts)).digest());
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** unlockKey and its commitment from the 64-byte OPRF output (Juicebox's TOprfEvaluate result). */
export function unlockKeys(oprfOutput: Uint8Array): { unlockKey: Uint8Array; unlockKeyCommitment: Uint8Array } {
  return {
    unlockKey: hkdf(oprfOutput, utf8(REALM_LABELS.unlockKey)),
    unlockKeyCommitment: hkdf(oprfOutput, utf8(REALM_LABELS.unlockKeyCommitment)),
  };
}

/** The Ed25519 seed with which the client proves the unlock to realm `realmId`; the realm stores only its public key. */
export function unlockSigningSeed(unlockKey: Uint8Array, realmId: Uint8Array): Uint8Array {
  return hkdf(unlockKey, concat(REALM_LABELS.unlockSigningKey, realmId));
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed);
}

/** Strict RFC 8032 verification; false for malformed keys or signatures. */
export function ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Whether `publicKey` decodes as an Ed25519 point of the prime-order subgroup (not a small-order key). */
export function isEd25519PublicKey(publicKey: Uint8Array): boolean {
  if (publicKey.length !== ED25519_PUBLIC_BYTES) return false;
  try {
    const p = ed25519.Point.fromBytes(publicKey);
    return !p.isSmallOrder() && p.isTorsionFree();
  } catch {
    return false;
  }
}

/** What the registration's throwaway signing key signs for each realm: its share's public key. */
export function oprfPublicKeyMessage(realmId: Uint8Array, version: Uint8Array, oprfPublicKey: Uint8Array): Uint8Array {
  return concat(REALM_LABELS.oprfPublicKey, realmId, version, oprfPublicKey);
}

/**
 * What the client signs to prove the unlock to one realm: bound to the realm, the account, the registration, the
 * realm's fresh single-use challenge and the X25519 key the realm must box its answer to.
 */
export function unlockProofMessage(
  realmId: Uint8Array, account: string, version: Uint8Array, challenge: Uint8Array, boxKey: Uint8Array,
): Uint8Array {
  return concat(REALM_LABELS.unlockProof, realmId, version, challenge, boxKey, lengthPrefixed(utf8(account)));
}

/** encryptionKey = HMAC-SHA256(encryptionSeed, label ‖ encryptionScalar (32 bytes LE)). */
export function encryptionKey(encryptionSeed: Uint8Array, encryptionScalar: Uint8Array): Uint8Array {
  if (encryptionScalar.length !== SCALAR_BYTES) throw new RangeError('scalar must be 32 bytes');
  return hmac(encryptionSeed, REALM_LABELS.encryptionKey, encryptionScalar);
}

/** The AES-GCM associated data of the encrypted secret: label ‖ version ‖ u16(len(account)) ‖ account. */
export function secretAad(account: string, version: Uint8Array): Uint8Array {
  return concat(REALM_LABELS.secret, version, lengthPrefixed(utf8(account)));
}

/** HMAC-SHA256(unlockKey, label ‖ realmId ‖ encryptionShare ‖ encryptedSecret): checks what a realm returns. */
export function secretCommitment(unlockKey: Uint8Array, realmId: Uint8Array, encryptionShare: Uint8Array, encryptedSecret: Uint8Array): Uint8Array {
  return hmac(unlockKey, REALM_LABELS.secretCommitment, realmId, encryptionShare, encryptedSecret);
}

/** SHA-256(label ‖ u8(t) ‖ u8(n) ‖ id_1 ‖ … ‖ id_n): what the salt binds the realm set by. */
export function realmSetDigest(threshold: number, ids: readonly Uint8Array[]): Uint8Array {
  return sha256(REALM_LABELS.realmSet, Uint8Array.of(threshold, ids.length), ...ids);
}

/** The AES-256-GCM key of a share box: HKDF(X25519(e, boxKey), label ‖ ePub ‖ boxKey ‖ realmId). */
export function shareBoxKey(shared: Uint8Array, ephemeralPublic: Uint8Array, boxKey: Uint8Array, realmId: Uint8Array): Uint8Array {
  return hkdf(shared, concat(REALM_LABELS.shareBox, ephemeralPublic, boxKey, realmId));
}

export function x25519Public(secret: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secret);
}

/** X25519, or undefined for a low-order peer key (an all-zero shared secret). */
export function x25519Shared(secret: Uint8Array, peer: Uint8Array): Uint8Array | undefined {
  if (peer.length !== X25519_PUBLIC_BYTES) return undefined;
  try {
    const shared = x25519.getSharedSecret(secret, peer);
    return shared.every((b) => b === 0) ? undefined : shared;
  } catch {
    return undefined;
  }
}
