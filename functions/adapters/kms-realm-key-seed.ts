// The seed of a realm's registration key on AWS (docs/deploy.md "Realms", docs/protocol.md "Realms, the realm
// set"): KMS GenerateMac (HMAC_SHA_256) under the realm's own HMAC key over "bkv/realm/v1/realm-key-seed" ‖ realmId.
// Deterministic, so every function and every region that may call GenerateMac on that key (a multi-Region key in
// the replica region) derives the same X25519 key pair; nothing is stored, and the key material never leaves KMS:
// whoever can call kms:GenerateMac on that key holds the realm's private key, the same trust as kms:Decrypt on
// its sealer key. GET /v1/realm answers the public key (what the realm set must carry).

import { GenerateMacCommand, type KMSClient } from '@aws-sdk/client-kms';
import { BkvError } from '../../protocol/errors.js';
import { REALM_LABELS } from '../../protocol/realm/constants.js';
import { concat } from '../../protocol/realm/encoding.js';
import { translateAwsError } from './aws-errors.js';

/** The message MACed: label ‖ realmId (16 bytes). */
export function realmKeySeedMessage(realmId: Uint8Array): Uint8Array {
  return concat(REALM_LABELS.realmKeySeed, realmId);
}

export async function kmsRealmKeySeed(kms: KMSClient, keyId: string, realmId: Uint8Array): Promise<Uint8Array> {
  try {
    const out = await kms.send(new GenerateMacCommand({ KeyId: keyId, MacAlgorithm: 'HMAC_SHA_256', Message: realmKeySeedMessage(realmId) }));
    if (!out.Mac || out.Mac.length !== 32) throw new BkvError('internal', 'kms returned no mac');
    return out.Mac;
  } catch (e) {
    throw translateAwsError(e, 'key service');
  }
}
