// Wire schemas (zod) of the realm API (docs/protocol.md "Realms"): what each realm's routes take and answer, and
// the realm set a primary publishes. Every binary value is strict unpadded base64url of an exact length.

import * as z from 'zod';
import { MAX_MAX_ATTEMPTS, MIN_MAX_ATTEMPTS } from '../constants.js';
import { b64url } from '../schemas.js';
import {
  CHALLENGE_BYTES, COMMITMENT_BYTES, ED25519_PUBLIC_BYTES, ED25519_SIGNATURE_BYTES, ELEMENT_BYTES, MAX_REALMS,
  PROOF_BYTES, REALM_ID_BYTES, SHARE_BOX_BYTES, VERSION_BYTES, X25519_PUBLIC_BYTES,
} from './constants.js';
import { RECORD_BYTES } from './record.js';
import { REGISTRATION_BOX_OVERHEAD, REGISTRATION_ENC_BYTES } from './registration-box.js';

const guesses = z.number().int().min(MIN_MAX_ATTEMPTS).max(MAX_MAX_ATTEMPTS);

/**
 * The realm's record (protocol/realm/record.ts) sealed to the realm's public key (protocol/realm/registration-box.ts):
 * the body carries no share in clear, only the registration's version, HPKE's `enc` and the ciphertext.
 */
export const RealmRegisterRequest = z.strictObject({
  version: b64url(VERSION_BYTES),
  enc: b64url(REGISTRATION_ENC_BYTES),
  box: b64url(RECORD_BYTES + REGISTRATION_BOX_OVERHEAD),
  /** The L the client asks for; the realm records min(allowedGuesses, its own limit). */
  allowedGuesses: guesses,
});
export const RealmRegisterResponse = z.object({ generation: z.number().int().positive(), allowedGuesses: guesses });

export const RealmStatusResponse = z.object({
  realmId: b64url(REALM_ID_BYTES),
  /** The realm's registration public key (what its entry in the realm set must carry); absent if its key service is down. */
  publicKey: b64url(X25519_PUBLIC_BYTES).optional(),
  registered: z.boolean(),
  generation: z.number().int().min(0),
  /** The live registration's version (the client needs it for the Argon2id salt before it can blind). */
  version: b64url(VERSION_BYTES).optional(),
  attemptsRemaining: z.number().int().min(0),
  allowedGuesses: z.number().int().min(0),
  locked: z.boolean(),
});

export const RecoveryStartRequest = z.strictObject({ version: b64url(VERSION_BYTES), blindedElement: b64url(ELEMENT_BYTES) });
export const RecoveryStartResponse = z.object({
  evaluatedElement: b64url(ELEMENT_BYTES),
  proof: b64url(PROOF_BYTES),
  oprfPublicKey: b64url(ELEMENT_BYTES),
  oprfSignature: b64url(ED25519_SIGNATURE_BYTES),
  signingKey: b64url(ED25519_PUBLIC_BYTES),
  unlockKeyCommitment: b64url(COMMITMENT_BYTES),
  challenge: b64url(CHALLENGE_BYTES),
  attemptsRemaining: z.number().int().min(0),
});

export const RecoveryFinishRequest = z.strictObject({
  version: b64url(VERSION_BYTES),
  challenge: b64url(CHALLENGE_BYTES),
  boxKey: b64url(X25519_PUBLIC_BYTES),
  unlockProof: b64url(ED25519_SIGNATURE_BYTES),
});
export const RecoveryFinishResponse = z.object({ shareBox: b64url(SHARE_BOX_BYTES) });

/** One realm of a published realm set. */
export const RealmEntry = z.strictObject({
  id: b64url(REALM_ID_BYTES),
  /** Base URL of the realm's API (https, or http on loopback for the local runtime). */
  url: z.string().max(2048).url(),
  /** Its long-term X25519 public key (HPKE DHKEM(X25519)) that registration boxes each record to; pinned with the set. */
  publicKey: b64url(X25519_PUBLIC_BYTES),
  /** Who operates it, for people (`bkv status`). */
  operator: z.string().max(200).optional(),
});
export const RealmSetResponse = z.strictObject({
  threshold: z.number().int().min(1).max(MAX_REALMS),
  realms: z.array(RealmEntry).min(1).max(MAX_REALMS),
}).refine((s) => s.threshold <= s.realms.length, { message: 'threshold must not exceed the number of realms' })
  .refine((s) => new Set(s.realms.map((r) => r.id)).size === s.realms.length, { message: 'realm ids must be distinct' });

export type RealmSet = z.infer<typeof RealmSetResponse>;
export type RealmStatus = z.infer<typeof RealmStatusResponse>;
