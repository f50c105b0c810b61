// Lambda entry of the CloudFormation custom resource that creates the deployment's OPAQUE server setup at first
// deploy (lib/constructs/server-setup.ts). Invoked directly by CloudFormation (no Provider framework), so it answers
// on the pre-signed ResponseURL itself. Create/Update: ensureServerSetup (idempotent: an existing setup is kept,
// a new one is sealed under the vault key with purpose "server-setup"). Delete: nothing; the sealed setup stays
// in the retained table. The setup is never returned (no Data), logged, or put in the failure reason.

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { DynamoVaultStore } from '../adapters/dynamo-vault-store.js';
import { errorName } from '../adapters/aws-errors.js';
import { KmsSealer } from '../adapters/kms-sealer.js';
import { requireEnv } from '../config.js';
import { logger } from '../observability.js';
import type { Sealer, VaultStore } from '../ports.js';
import { ensureServerSetup } from '../vault/opaque.js';
import { documentClient } from '../adapters/document-client.js';
import { RESOURCE_ENV } from '../../protocol/env.js';

export const PHYSICAL_RESOURCE_ID = 'opaque-server-setup';
/** Answer CloudFormation this long before the Lambda timeout even if the work has not finished. */
const RESPONSE_MARGIN_MS = 5_000;

export interface ServerSetupDeps {
  store: VaultStore;
  sealer: Sealer;
}

/** PUTs the response document to CloudFormation's pre-signed URL. */
export type Respond = (url: string, body: string) => Promise<void>;

export const putResponse: Respond = async (url, body) => {
  // S3 pre-signed PUT: a byte body and an empty content-type, as the URL was signed without one.
  const bytes = Buffer.from(body, 'utf8');
  const res = await fetch(url, { method: 'PUT', body: bytes, headers: { 'content-type': '', 'content-length': String(bytes.length) } });
  if (!res.ok) throw new Error(`cloudformation response refused: http ${res.status}`);
};

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('server setup timed out')), Math.max(ms, 0));
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export function serverSetupHandler(deps: () => ServerSetupDeps, respond: Respond = putResponse) {
  return async (event: CloudFormationCustomResourceEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<void> => {
    let status: 'SUCCESS' | 'FAILED' = 'SUCCESS';
    let reason: string | undefined;
    try {
      if (event.RequestType !== 'Delete') {
        const d = deps();
        const budget = (context?.getRemainingTimeInMillis() ?? 60_000) - RESPONSE_MARGIN_MS;
        await withDeadline(ensureServerSetup(d.store, d.sealer), budget);
      }
    } catch (e) {
      status = 'FAILED';
      reason = `opaque server setup failed (${errorName(e) ?? 'error'}); see the function's log`;
      const cause = e instanceof Error ? e.cause : undefined;
      logger.error('server setup failed', { requestType: event.RequestType, errorName: errorName(e), causeName: errorName(cause) });
    }
    if (status === 'SUCCESS') logger.info('server setup', { requestType: event.RequestType, status });
    await respond(event.ResponseURL, JSON.stringify({
      Status: status,
      ...(reason ? { Reason: reason } : {}),
      PhysicalResourceId: event.RequestType === 'Create' ? PHYSICAL_RESOURCE_ID : event.PhysicalResourceId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: true,
    }));
  };
}

let wired: ServerSetupDeps | undefined;

/** Env: VAULT_TABLE, KMS_KEY_ID (set by the construct's grants). Clients are built on first use. */
function fromEnv(): ServerSetupDeps {
  wired ??= {
    store: new DynamoVaultStore(documentClient(new DynamoDBClient({})), requireEnv(RESOURCE_ENV.vaultTable)),
    sealer: new KmsSealer(new KMSClient({}), requireEnv(RESOURCE_ENV.kmsKeyId)),
  };
  return wired;
}

export const handler = serverSetupHandler(fromEnv);
