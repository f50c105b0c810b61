// Builds a BackupsService from the Lambda environment (set by the lib/ constructs' grant methods) and parses
// its settings, on a function's first call (once per cold start), with clear errors.
//   VAULT_TABLE                                 where metadata lives (required)
//   BACKUP_BUCKET                               where blobs live; read on the first blob operation (routes
//                                               without bucket permissions have none)
//   MAX_BACKUP_BYTES                            largest backup, default 50 GiB (at most 4000 GiB: 800 parts of 5 GiB)
//   BACKUP_RETENTION                            committed backups kept per account, 1–100, default 3
//   BACKUP_URL_TTL_SECONDS                      presigned URL lifetime, 60–604800 (S3's week), default 3600
//   BACKUP_FALLBACK_BUCKET, BACKUP_FALLBACK_REGION  optional: where downloads go while replication catches up

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BACKUP_RETENTION, MAX_BACKUP_BYTES, URL_TTL_SECONDS } from '../../protocol/settings.js';
import { DynamoBackupStore } from '../adapters/dynamo-backup-store.js';
import { S3BlobStore, backupS3Client } from '../adapters/s3-blob-store.js';
import { requireEnv, serverSetting } from '../config.js';
import { onFirstUse } from '../lazy.js';
import { systemClock, type BlobStore } from '../ports.js';
import { documentClient } from '../adapters/document-client.js';
import { BackupsService, type BackupsConfig } from './service.js';

export interface BackupsSettings {
  maxBytes?: string | number;
  retention?: string | number;
  urlTtlSeconds?: string | number;
}

export function parseBackupsConfig(s: BackupsSettings = {}): BackupsConfig {
  return {
    maxBytes: serverSetting('max backup bytes', s.maxBytes, MAX_BACKUP_BYTES),
    retention: serverSetting('backup retention', s.retention, BACKUP_RETENTION),
    urlTtlSeconds: serverSetting('backup url lifetime', s.urlTtlSeconds, URL_TTL_SECONDS),
  };
}

export function backupsServiceFromEnv(env: NodeJS.ProcessEnv = process.env, onBackgroundError?: (e: unknown) => void): BackupsService {
  const fallbackBucket = env.BACKUP_FALLBACK_BUCKET;
  const fallbackRegion = env.BACKUP_FALLBACK_REGION;
  if ((fallbackBucket === undefined || fallbackBucket === '') !== (fallbackRegion === undefined || fallbackRegion === '')) {
    throw new Error('set both BACKUP_FALLBACK_BUCKET and BACKUP_FALLBACK_REGION, or neither');
  }
  const blobs = onFirstUse<BlobStore>(() => new S3BlobStore(
    { client: backupS3Client(), bucket: requireEnv('BACKUP_BUCKET', env) },
    fallbackBucket && fallbackRegion ? { client: backupS3Client({ region: fallbackRegion }), bucket: fallbackBucket } : undefined,
  ));
  return new BackupsService({
    store: new DynamoBackupStore(documentClient(new DynamoDBClient({})), requireEnv('VAULT_TABLE', env)),
    blobs,
    clock: systemClock,
    config: parseBackupsConfig({
      maxBytes: env.MAX_BACKUP_BYTES, retention: env.BACKUP_RETENTION, urlTtlSeconds: env.BACKUP_URL_TTL_SECONDS,
    }),
    ...(onBackgroundError ? { onBackgroundError } : {}),
  });
}
