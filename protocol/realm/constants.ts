// Constants and HKDF/HMAC labels of the realm protocol (docs/protocol.md "Realms"): the vault split over n
// independently operated realms, any t of which recover, following the Juicebox protocol (whitepaper rev 7).
// Changing a label or a size is a protocol version change.

export const REALM_PROTOCOL_VERSION = 1;

export const REALM_ID_BYTES = 16;
/** A registration's random version, also the per-registration half of the Argon2id salt (Juicebox's `version`). */
export const VERSION_BYTES = 16;
export const SCALAR_BYTES = 32;
export const ELEMENT_BYTES = 32;
/** RFC 9497 DLEQ proof (c ‖ s). */
export const PROOF_BYTES = 64;
export const ED25519_PUBLIC_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const X25519_PUBLIC_BYTES = 32;
export const COMMITMENT_BYTES = 32;
export const CHALLENGE_BYTES = 32;
/** nonce(12) ‖ AES-256-GCM(K (32)) ‖ tag(16). */
export const ENCRYPTED_SECRET_BYTES = 12 + 32 + 16;
/** What a realm releases after a valid unlock proof: encryption share ‖ secret commitment ‖ encrypted secret. */
export const SHARE_PAYLOAD_BYTES = SCALAR_BYTES + COMMITMENT_BYTES + ENCRYPTED_SECRET_BYTES;
/** The box around it: the realm's ephemeral X25519 key ‖ nonce ‖ AES-256-GCM ‖ tag. */
export const SHARE_BOX_BYTES = X25519_PUBLIC_BYTES + 12 + SHARE_PAYLOAD_BYTES + 16;

/** Most realms in one realm set (a bound on every list a client or realm reads). */
export const MAX_REALMS = 16;

/** How long a counted recovery start's challenge stays redeemable. */
export const RECOVERY_TTL_MS = 60_000;

/** The token holder's bound the client aims at when it asks each realm for its guess limit L. */
export const TARGET_GUESSES = 10;

export const REALM_LABELS = {
  realmSet: 'bkv/realm/v1/realm-set',
  salt: 'bkv/realm/v1/salt',
  unlockKey: 'bkv/realm/v1/unlock-key',
  unlockKeyCommitment: 'bkv/realm/v1/unlock-key-commitment',
  unlockSigningKey: 'bkv/realm/v1/unlock-signing-key',
  unlockProof: 'bkv/realm/v1/unlock-proof',
  oprfPublicKey: 'bkv/realm/v1/oprf-public-key',
  encryptionKey: 'bkv/realm/v1/encryption-key',
  secret: 'bkv/realm/v1/secret',
  secretCommitment: 'bkv/realm/v1/secret-commitment',
  shareBox: 'bkv/realm/v1/share-box',
  registrationBox: 'bkv/realm/v1/registration-box',
  realmKeySeed: 'bkv/realm/v1/realm-key-seed',
} as const;

/**
 * The per-realm guess limit L a client asks for with n realms and threshold t: the largest L with
 * ⌊n·L/t⌋ ≤ TARGET_GUESSES, so a token holder gets at most 10 online guesses whatever the set
 * (1-of-1, 2-of-2, 3-of-3: L = 10; 2-of-3: L = 7, 10 guesses, and 14 for one dishonest realm).
 */
export function realmGuessLimit(n: number, t: number, target: number = TARGET_GUESSES): number {
  if (!Number.isInteger(n) || !Number.isInteger(t) || t < 1 || n < t) throw new RangeError('need 1 <= t <= n');
  return Math.max(1, Math.floor(((target + 1) * t - 1) / n));
}

/** The bound of docs/threat-model.md: password-testable answers for an attacker holding c realms' full state. */
export function guessBound(n: number, t: number, c: number, limit: number): number {
  if (c >= t) return Infinity;
  return Math.floor(((n - c) * limit) / (t - c));
}
