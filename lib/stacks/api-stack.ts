// One serving region: its backup bucket (the primary's replicates to the replica's), the HTTP API with one
// function per route, and the alarms. The table, keys and the other region's bucket are reached by deterministic
// names and the shared multi-Region key ids, so no token crosses regions here except the Cognito issuer.

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { RouteSpec } from '../../functions/routes.js';
import type { SignInConfig } from '../../protocol/sign-in.js';
import type { BkvConfig } from '../config.js';
import { Alarms } from '../constructs/alarms.js';
import { BackupBucket } from '../constructs/backup-bucket.js';
import { VaultApi } from '../constructs/vault-api.js';
import { VaultKey } from '../constructs/vault-key.js';
import { VaultTableAccess } from '../constructs/vault-table.js';
import type { KeysStack } from './keys-stack.js';

export interface ApiStackProps extends StackProps {
  config: BkvConfig;
  region: string;
  routes: readonly RouteSpec[];
  keys: KeysStack;
  jwt: { issuer: string; audience: string[] };
  /** What `GET /v1/auth` answers (protocol/sign-in.ts). */
  signIn: SignInConfig;
}

export class ApiStack extends Stack {
  readonly bucket: BackupBucket;
  readonly api: VaultApi;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, { ...props, crossRegionReferences: true });
    const { config, region } = props;
    const keys = props.keys.keys;
    const isPrimary = region === config.regions.primary;
    const other = isPrimary ? config.regions.replica : config.regions.primary;
    this.bucket = new BackupBucket(this, 'Backups', {
      config,
      region,
      keyArn: keys.blobKeyArn,
      ...(isPrimary ? { replicateTo: { region: other, keyId: keys.blobKeyId } } : {}),
    });
    this.api = new VaultApi(this, 'Api', {
      config,
      region,
      routes: props.routes,
      jwt: props.jwt,
      signIn: this.toJsonString(props.signIn),
      vaultKey: new VaultKey(keys.vaultKeyArn),
      table: new VaultTableAccess(config, region, keys.vaultKeyArn),
      bucket: this.bucket.access,
      realmKeyArn: keys.realmKeyArn,
    });
    this.alarms = new Alarms(this, 'Alarms', { config, api: this.api });
    new CfnOutput(this, 'ApiUrl', { value: this.api.stage.url, description: `API endpoint in ${region}` });
    new CfnOutput(this, 'BackupBucketName', { value: this.bucket.access.bucketName });
  }
}
