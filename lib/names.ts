// Deterministic physical names. Stacks in different regions cannot pass tokens to each other cheaply, and the KMS
// key policies (deployed before the functions exist) name the function roles in conditions, so every name that
// crosses a stack or region boundary is computed here from the config alone.

import { Aws } from 'aws-cdk-lib';
import type { BkvConfig } from './config.js';

/** The role of the OPAQUE server-setup custom resource (not a route, but a key-policy principal). */
export const SERVER_SETUP_FUNCTION_ID = 'server-setup';

const IAM_ROLE_NAME_MAX = 64;

export const stackName = (config: BkvConfig, kind: 'keys' | 'auth' | 'data' | 'api' | 'realm', region: string): string =>
  `${config.name}-${kind}-${region}`;

export const tableName = (config: BkvConfig): string => `${config.name}-vault`;

export const vaultKeyAlias = (config: BkvConfig): string => `alias/${config.name}-vault`;
export const blobKeyAlias = (config: BkvConfig): string => `alias/${config.name}-backups`;
export const realmKeyAlias = (config: BkvConfig): string => `alias/${config.name}-realm`;

/** Globally unique: the account id is part of it (resolved by CloudFormation at deploy time). */
export const backupBucketName = (config: BkvConfig, region: string): string =>
  `${config.name}-backups-${Aws.ACCOUNT_ID}-${region}`;

/** IAM role name of a route's (or the custom resource's) function; IAM allows 64 characters. */
export function functionRoleName(config: BkvConfig, region: string, functionId: string): string {
  const name = `${config.name}-${region}-${functionId}`;
  if (name.length > IAM_ROLE_NAME_MAX) {
    throw new Error(`role name "${name}" is over ${IAM_ROLE_NAME_MAX} characters: shorten route id "${functionId}" or bkv:name`);
  }
  if (!/^[\w+=,.@-]+$/.test(name)) throw new Error(`role name "${name}" has characters IAM does not allow`);
  return name;
}

export const functionRoleArn = (config: BkvConfig, region: string, functionId: string): string =>
  `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${functionRoleName(config, region, functionId)}`;

export const kmsKeyArn = (region: string, keyId: string): string =>
  `arn:${Aws.PARTITION}:kms:${region}:${Aws.ACCOUNT_ID}:key/${keyId}`;

export const tableArn = (config: BkvConfig, region: string): string =>
  `arn:${Aws.PARTITION}:dynamodb:${region}:${Aws.ACCOUNT_ID}:table/${tableName(config)}`;
