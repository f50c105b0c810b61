// A region's backup bucket (the accounts' repositories, docs/repository.md), secure by default: versioned, SSE-KMS
// under the blob key with an S3 bucket key, all public access blocked, TLS 1.2+ only, bucket-owner-enforced
// ownership, server access logs, retained on stack deletion. Lifecycle rules never expire a current object (a
// repository object goes only when the repository API deletes it): they abort incomplete multipart uploads after a
// day and expire noncurrent versions (what an explicit delete left behind, recoverable with `bkv undelete`) after
// `bkv:deletedRetentionDays` (default 30); with `bkv:objectLockMode` every new version is also locked for that
// long (Object Lock default retention, governance or compliance: docs/deploy.md "Deleted objects"). The
// primary region's bucket replicates `accounts/` to the replica region's bucket.
//
// Grants cover objects under `accounts/*` only. IAM cannot scope S3 by the caller's JWT `sub`; per-account
// isolation is enforced by the handlers, which build every key as `accounts/<base64url(account)>/…` from the
// verified token (docs/deploy.md).

import { Aws, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import type { RoutePermissions } from '../../functions/routes.js';
import type { BkvConfig } from '../config.js';
import { backupBucketName, kmsKeyArn } from '../names.js';
import { RESOURCE_ENV } from '../../protocol/env.js';

export const ACCOUNT_PREFIX = 'accounts/';
export const ACCESS_LOG_DAYS = 365;

export const ACCOUNT_PREFIX_REASON =
  'Objects are granted under accounts/* because S3 IAM cannot be scoped by the caller\'s JWT sub. Per-account ' +
  'isolation is enforced by the handlers, which build every object key as accounts/<base64url(account)>/... from ' +
  'the verified token only (invariant 7); no route takes a key, prefix or account from the request.';
export const REPLICATION_REASON =
  'S3 replication copies every object version under accounts/ (the rule\'s prefix filter), so the replication ' +
  'role reads all source versions and writes all replicas under that prefix, and nothing outside it.';

/** How cdk-nag renders an object-ARN pattern under the account prefix (tokens as <AWS::…>). */
export const nagObjectResource = (config: BkvConfig, region: string): string =>
  `Resource::arn:<AWS::Partition>:s3:::${config.name}-backups-<AWS::AccountId>-${region}/${ACCOUNT_PREFIX}*`;

export type BucketAction = NonNullable<RoutePermissions['bucket']>[number];

const OBJECT_ACTIONS: Record<BucketAction, string[]> = {
  read: ['s3:GetObject'],
  write: ['s3:PutObject'],
  delete: ['s3:DeleteObject'],
  list: [],
  // removes a delete marker by its version id (undelete); IAM cannot tell a marker from a version: with Object
  // Lock the versions themselves stay protected (docs/deploy.md "Deleted objects")
  undelete: ['s3:DeleteObjectVersion'],
};
const KMS_ACTIONS: Record<BucketAction, string[]> = {
  read: ['kms:Decrypt'],
  write: ['kms:GenerateDataKey'],
  delete: [],
  list: [],
  undelete: [],
};

/** A backup bucket in some region, as a function sees it (possibly from another region, for the fallback). */
export class BackupBucketAccess {
  readonly bucketName: string;
  readonly bucketArn: string;

  constructor(private readonly config: BkvConfig, readonly region: string, readonly keyArn: string) {
    this.bucketName = backupBucketName(config, region);
    this.bucketArn = `arn:${Aws.PARTITION}:s3:::${this.bucketName}`;
  }

  /** Adds the IAM statements for these actions on `accounts/*`; returns nothing, sets no environment. */
  grantActions(fn: lambda.Function, actions: readonly BucketAction[]): void {
    const unique = [...new Set(actions)].sort();
    const objectActions = [...new Set(unique.flatMap((a) => OBJECT_ACTIONS[a]))].sort();
    if (objectActions.length > 0) {
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: objectActions, resources: [`${this.bucketArn}/${ACCOUNT_PREFIX}*`] }));
      if (fn.role) this.acknowledgePrefix(fn.role, ACCOUNT_PREFIX_REASON);
    }
    if (unique.includes('list') || unique.includes('undelete')) {
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: [...(unique.includes('list') ? ['s3:ListBucket'] : []), ...(unique.includes('undelete') ? ['s3:ListBucketVersions'] : [])],
        resources: [this.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${ACCOUNT_PREFIX}*`] } },
      }));
    }
    const kmsActions = [...new Set(unique.flatMap((a) => KMS_ACTIONS[a]))].sort();
    if (kmsActions.length > 0) {
      fn.addToRolePolicy(new iam.PolicyStatement({
        actions: kmsActions,
        resources: [this.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${this.region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [this.bucketArn, `${this.bucketArn}/${ACCOUNT_PREFIX}*`] },
        },
      }));
    }
  }

  acknowledgePrefix(scope: IConstruct, reason: string): void {
    Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[${nagObjectResource(this.config, this.region)}]`, reason });
  }

  /** The serving region's own bucket: sets BACKUP_BUCKET and grants the route's actions. */
  grantBackups(fn: lambda.Function, actions: readonly BucketAction[]): void {
    fn.addEnvironment(RESOURCE_ENV.backupBucket, this.bucketName);
    this.grantActions(fn, actions);
  }
}

/** The bucket's CORS rule for browser clients of `bkv:corsOrigins`: presigned GET/PUT/HEAD, the ETag readable. */
export function bucketCors(origins: readonly string[]): s3.CorsRule {
  return {
    allowedOrigins: [...origins],
    allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.PUT, s3.HttpMethods.HEAD],
    allowedHeaders: ['content-type', 'content-length', 'range'],
    exposedHeaders: ['ETag', 'Content-Length', 'Content-Range'],
    maxAge: 3600,
  };
}

export interface BackupBucketProps {
  config: BkvConfig;
  region: string;
  /** The blob key (primary or replica) in this region. */
  keyArn: string;
  /** On the primary only: replicate to the replica region's bucket, encrypting with the blob key's replica there. */
  replicateTo?: { region: string; keyId: string };
}

export class BackupBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly access: BackupBucketAccess;

  constructor(scope: Construct, id: string, props: BackupBucketProps) {
    super(scope, id);
    const { config, region } = props;
    this.access = new BackupBucketAccess(config, region, props.keyArn);
    const key = kms.Key.fromKeyArn(this, 'BlobKey', props.keyArn);

    const logs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // the only encryption S3 server access logging delivers to
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(ACCESS_LOG_DAYS) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const replication = props.replicateTo ? this.replication(config, props.replicateTo) : {};
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: this.access.bucketName,
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'backups/',
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(config.deletedRetentionDays), expiredObjectDeleteMarker: true },
      ],
      ...(config.objectLockMode ? {
        objectLockEnabled: true,
        objectLockDefaultRetention: config.objectLockMode === 'compliance'
          ? s3.ObjectLockRetention.compliance(Duration.days(config.deletedRetentionDays))
          : s3.ObjectLockRetention.governance(Duration.days(config.deletedRetentionDays)),
      } : {}),
      removalPolicy: RemovalPolicy.RETAIN,
      // Browser clients PUT and GET presigned URLs directly: CORS only for the configured origins (none by default).
      ...(config.corsOrigins.length > 0 ? { cors: [bucketCors(config.corsOrigins)] } : {}),
      ...replication,
    });
  }

  private replication(config: BkvConfig, to: { region: string; keyId: string }): Pick<s3.BucketProps, 'replicationRole' | 'replicationRules'> {
    const source = this.access;
    const destination = new BackupBucketAccess(config, to.region, kmsKeyArn(to.region, to.keyId));
    const role = new iam.Role(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: `replicates ${source.bucketName}/${ACCOUNT_PREFIX} to ${destination.bucketName}`,
    });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [source.bucketArn] }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
      resources: [`${source.bucketArn}/${ACCOUNT_PREFIX}*`],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
      resources: [`${destination.bucketArn}/${ACCOUNT_PREFIX}*`],
    }));
    for (const [side, action] of [[source, 'kms:Decrypt'], [destination, 'kms:Encrypt']] as const) {
      role.addToPolicy(new iam.PolicyStatement({
        actions: [action],
        resources: [side.keyArn],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${side.region}.amazonaws.com` },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [side.bucketArn, `${side.bucketArn}/${ACCOUNT_PREFIX}*`] },
        },
      }));
    }
    source.acknowledgePrefix(role, REPLICATION_REASON);
    destination.acknowledgePrefix(role, REPLICATION_REASON);
    const destinationBucket = s3.Bucket.fromBucketAttributes(this, 'ReplicaBucket', {
      bucketName: destination.bucketName,
      region: to.region,
    });
    return {
      replicationRole: role,
      replicationRules: [{
        id: 'to-replica-region',
        priority: 1,
        destination: destinationBucket,
        filter: { prefix: ACCOUNT_PREFIX },
        deleteMarkerReplication: true,
        sseKmsEncryptedObjects: true,
        kmsKey: kms.Key.fromKeyArn(this, 'ReplicaBlobKey', destination.keyArn),
      }],
    };
  }
}
