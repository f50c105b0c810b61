// Builds a RealmService from its adapters: the AWS wiring (from the Lambda environment) and the generic one the
// local runtime and tests use; and the realm set a deployment publishes (REALM_SET, JSON of protocol/realm/schemas.ts).

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { decodeBase64url } from '../../protocol/base64url.js';
import { REALM_ID_BYTES } from '../../protocol/realm/constants.js';
import { RealmSetResponse, type RealmSet } from '../../protocol/realm/schemas.js';
import { documentClient } from '../adapters/document-client.js';
import { DynamoRealmStore } from '../adapters/dynamo-realm-store.js';
import { kmsRealmKeySeed } from '../adapters/kms-realm-key-seed.js';
import { KmsSealer } from '../adapters/kms-sealer.js';
import { parseMaxAttempts, requireEnv } from '../config.js';
import { onFirstUse } from '../lazy.js';
import { systemClock } from '../ports.js';
import { RealmService } from './service.js';
import { RESOURCE_ENV, SETTINGS } from '../../protocol/env.js';

/** A realm id setting: 16 bytes as unpadded base64url (22 characters). A bad one is the deployment's fault (500). */
export function parseRealmId(raw: string): Uint8Array {
  const id = decodeBase64url(raw);
  if (!id || id.length !== REALM_ID_BYTES) throw new Error('REALM_ID must be 16 bytes of unpadded base64url');
  return id;
}

/** The published realm set, or undefined when the setting is empty. */
export function parseRealmSet(raw: string | undefined): RealmSet | undefined {
  if (raw === undefined || raw === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new Error('REALM_SET is not json', { cause: e });
  }
  const parsed = RealmSetResponse.safeParse(json);
  if (!parsed.success) throw new Error(`REALM_SET is not a realm set: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/**
 * Env: REALM_TABLE (or VAULT_TABLE), REALM_ID, MAX_ATTEMPTS; KMS_KEY_ID read on first seal or unseal; REALM_KEY_ID
 * (the realm's KMS HMAC key, functions/adapters/kms-realm-key-seed.ts) read on the first registration.
 */
export function realmServiceFromEnv(env: NodeJS.ProcessEnv = process.env): RealmService {
  const doc = documentClient(new DynamoDBClient({}));
  const realmId = parseRealmId(requireEnv(SETTINGS.realmId.lambda, env));
  return new RealmService({
    store: new DynamoRealmStore(doc, env[RESOURCE_ENV.realmTable] || requireEnv(RESOURCE_ENV.vaultTable, env)),
    sealer: onFirstUse(() => new KmsSealer(new KMSClient({}), requireEnv(RESOURCE_ENV.kmsKeyId, env))),
    clock: systemClock,
    realmId,
    maxAttempts: parseMaxAttempts(env[SETTINGS.maxAttempts.lambda]),
    keySeed: () => kmsRealmKeySeed(new KMSClient({}), requireEnv(RESOURCE_ENV.realmKeyId, env), realmId),
  });
}
