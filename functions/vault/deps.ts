// Builds a VaultService from its adapters: the AWS wiring (from the Lambda environment) and the generic one
// the local runtime and tests use.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { documentClient } from '../adapters/document-client.js';
import { DynamoVaultStore } from '../adapters/dynamo-vault-store.js';
import { KmsSealer } from '../adapters/kms-sealer.js';
import { parseMaxAttempts, requireEnv } from '../config.js';
import { onFirstUse } from '../lazy.js';
import { systemClock, type Clock, type Sealer, type VaultStore } from '../ports.js';
import { serverSetupLoader } from './opaque.js';
import { VaultService } from './service.js';
import { RESOURCE_ENV, SETTINGS } from '../../protocol/env.js';

export interface VaultWiring {
  store: VaultStore;
  sealer: Sealer;
  maxAttempts: number;
  clock?: Clock;
  /** Create the server setup if none is stored (local runtime); in AWS a custom resource creates it. */
  createServerSetup?: boolean;
}

export function buildVaultService(w: VaultWiring): VaultService {
  return new VaultService({
    store: w.store,
    sealer: w.sealer,
    clock: w.clock ?? systemClock,
    maxAttempts: w.maxAttempts,
    serverSetup: serverSetupLoader(w.store, w.sealer, w.createServerSetup ?? false),
  });
}

/**
 * Env: VAULT_TABLE; KMS_KEY_ID, read when the function first seals or unseals (routes without a purpose have
 * none); MAX_ATTEMPTS (1–255, default 10), set where the route table names the setting.
 */
export function vaultServiceFromEnv(env: NodeJS.ProcessEnv = process.env): VaultService {
  const doc = documentClient(new DynamoDBClient({}));
  return buildVaultService({
    store: new DynamoVaultStore(doc, requireEnv(RESOURCE_ENV.vaultTable, env)),
    sealer: onFirstUse(() => new KmsSealer(new KMSClient({}), requireEnv(RESOURCE_ENV.kmsKeyId, env))),
    maxAttempts: parseMaxAttempts(env[SETTINGS.maxAttempts.lambda]),
  });
}
