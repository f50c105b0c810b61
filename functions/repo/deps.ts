// Builds a RepoService from the Lambda environment (set by the lib/ constructs' grant methods) on a function's
// first call (once per cold start), with clear errors:
//   VAULT_TABLE             where the account's repo item lives (read on the first table operation)
//   BACKUP_BUCKET           where objects live (read on the first object operation; routes without bucket
//                           permissions have none)
//   REPO_QUOTA_BYTES        bytes per account, 1 MiB to 1 PiB, default 50 GiB (routes naming the setting)
//   URL_TTL_SECONDS         presigned URL lifetime, 60–604800, default 3600 (old name REPO_URL_TTL_SECONDS still read)
// (the names: protocol/env.ts)

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { REPO_QUOTA_BYTES, URL_TTL_SECONDS } from '../../protocol/settings.js';
import { documentClient } from '../adapters/document-client.js';
import { DynamoRepoItemStore } from '../adapters/dynamo-repo-store.js';
import { repoS3Client, S3ObjectStore } from '../adapters/s3-object-store.js';
import { requireEnv, serverSetting } from '../config.js';
import { onFirstUse } from '../lazy.js';
import { systemClock, type ObjectStore, type RepoItemStore } from '../ports.js';
import { RepoService, type RepoConfig } from './service.js';
import { RESOURCE_ENV, SETTINGS, settingFromEnv } from '../../protocol/env.js';

export interface RepoSettings {
  quotaBytes?: string | number;
  urlTtlSeconds?: string | number;
}

export function parseRepoConfig(s: RepoSettings = {}): RepoConfig {
  return {
    quotaBytes: serverSetting('repository quota bytes', s.quotaBytes, REPO_QUOTA_BYTES),
    urlTtlSeconds: serverSetting('repository url lifetime', s.urlTtlSeconds, URL_TTL_SECONDS),
  };
}

export function repoServiceFromEnv(env: NodeJS.ProcessEnv = process.env, onBackgroundError?: (e: unknown) => void): RepoService {
  const items = onFirstUse<RepoItemStore>(() => new DynamoRepoItemStore(documentClient(new DynamoDBClient({})), requireEnv(RESOURCE_ENV.vaultTable, env)));
  const objects = onFirstUse<ObjectStore>(() => new S3ObjectStore(repoS3Client(), requireEnv(RESOURCE_ENV.backupBucket, env)));
  return new RepoService({
    items,
    objects,
    clock: systemClock,
    config: parseRepoConfig({
      quotaBytes: settingFromEnv(env, SETTINGS.repoQuotaBytes.lambda),
      urlTtlSeconds: settingFromEnv(env, SETTINGS.urlTtlSeconds.lambda, SETTINGS.urlTtlSeconds.lambdaAliases),
    }),
    ...(onBackgroundError ? { onBackgroundError } : {}),
  });
}
