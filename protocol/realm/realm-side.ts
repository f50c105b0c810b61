// The realm's half of the realm protocol (docs/protocol.md "Realms"), pure: evaluate the blinded element under
// the stored share with a DLEQ proof (only ever called after the attempt is counted: functions/realm/service.ts),
// verify an unlock proof against the stored unlock public key and a fresh challenge, and box the realm's pieces of K
// to the client's X25519 key so relays and logs never see them.

import { gcmSeal } from '../aead.js';
import { defaultRandomBytes, type RandomBytes } from '../random.js';
import { concat } from './encoding.js';
import { ed25519Verify, shareBoxKey, unlockProofMessage, x25519Public, x25519Shared } from './keys.js';
import type { RealmRecord } from './record.js';
import { scalarFromBytes } from './shamir.js';
import { evaluateShare } from './toprf.js';

export function evaluateRecord(record: RealmRecord, blindedElement: Uint8Array, random?: RandomBytes): { evaluatedElement: Uint8Array; proof: Uint8Array } {
  return evaluateShare(scalarFromBytes(record.oprfShare), blindedElement, random);
}

export function verifyUnlockProof(
  realmId: Uint8Array, account: string, record: RealmRecord, challenge: Uint8Array, boxKey: Uint8Array, proof: Uint8Array,
): boolean {
  return ed25519Verify(record.unlockPublicKey, unlockProofMessage(realmId, account, record.version, challenge, boxKey), proof);
}

/** ePub ‖ nonce ‖ AES-256-GCM(key, encryptionShare ‖ secretCommitment ‖ encryptedSecret, aad = realmId ‖ version) ‖ tag. */
export function sealShareBox(
  realmId: Uint8Array, record: RealmRecord, boxKey: Uint8Array, random: RandomBytes = defaultRandomBytes,
): Uint8Array | undefined {
  const ephemeral = random(32);
  const ephemeralPublic = x25519Public(ephemeral);
  const shared = x25519Shared(ephemeral, boxKey);
  if (!shared) return undefined;
  const key = shareBoxKey(shared, ephemeralPublic, boxKey, realmId);
  const payload = concat(record.encryptionShare, record.secretCommitment, record.encryptedSecret);
  return concat(ephemeralPublic, gcmSeal(key, payload, concat(realmId, record.version), random));
}
