// KMS key policies, built from the route table. The vault key can be used directly (Encrypt/Decrypt) only by the
// roles of the functions whose route permissions name a purpose, only with that purpose in the encryption context,
// with an `account` context present (and equal to "#deployment" exactly for the server setup), and with no other
// context keys (invariant 6). Services (DynamoDB for the table, S3 for the buckets) use the keys only through
// themselves (kms:ViaService). Account administrators get key management, never `kms:*` and never direct use:
// whoever controls the account can still rewrite the policy, which docs/threat-model.md states as a known limit.

import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DEPLOYMENT_ACCOUNT, type SealPurpose } from '../../functions/ports.js';
import { ROUTES, type RouteSpec } from '../../functions/routes.js';
import type { BkvConfig } from '../config.js';
import { functionRoleArn, SERVER_SETUP_FUNCTION_ID } from '../names.js';

/** Key management for account administrators (through their IAM policies). No use of the key, no grants. */
export const KEY_ADMIN_ACTIONS = [
  'kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:EnableKeyRotation',
  'kms:RotateKeyOnDemand', 'kms:ListKeyRotations', 'kms:ListResourceTags', 'kms:TagResource', 'kms:UntagResource',
  'kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias', 'kms:UpdateKeyDescription', 'kms:EnableKey', 'kms:DisableKey',
  'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:ReplicateKey', 'kms:UpdatePrimaryRegion',
  'kms:ListGrants', 'kms:RevokeGrant',
] as const;

/** What an AWS service needs to encrypt data at rest with a customer managed key on a caller's behalf. */
export const SERVICE_USE_ACTIONS = [
  'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey', 'kms:CreateGrant',
] as const;

export type KeyAction = 'kms:Encrypt' | 'kms:Decrypt';

/** One function's direct use of the vault key. */
export interface VaultKeyUser {
  functionId: string;
  seal: readonly SealPurpose[];
  unseal: readonly SealPurpose[];
}

/** The vault key's direct users in a region: routes with seal/unseal, plus the server-setup custom resource in the primary. */
export function vaultKeyUsers(config: BkvConfig, region: string, routes: readonly RouteSpec[] = ROUTES): VaultKeyUser[] {
  const users: VaultKeyUser[] = routes
    .filter((r) => (r.permissions.seal?.length ?? 0) + (r.permissions.unseal?.length ?? 0) > 0)
    .map((r) => ({ functionId: r.id, seal: r.permissions.seal ?? [], unseal: r.permissions.unseal ?? [] }));
  if (region === config.regions.primary) users.push({ functionId: SERVER_SETUP_FUNCTION_ID, seal: ['server-setup'], unseal: [] });
  return users;
}

/** Encryption-context conditions for one purpose; shared by the key policy and the roles' IAM policies. */
export function purposeConditions(purpose: SealPurpose): Record<string, Record<string, unknown>> {
  const deploymentWide = purpose === 'server-setup';
  return {
    StringEquals: {
      'kms:EncryptionContext:purpose': purpose,
      ...(deploymentWide ? { 'kms:EncryptionContext:account': DEPLOYMENT_ACCOUNT } : {}),
    },
    ...(deploymentWide ? {} : {
      StringNotEquals: { 'kms:EncryptionContext:account': DEPLOYMENT_ACCOUNT },
      Null: { 'kms:EncryptionContext:account': 'false' },
    }),
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['purpose', 'account'] },
  };
}

const accountRoot = () => new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`);

export function adminStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'KeyAdministrationByAccountAdmins',
    principals: [accountRoot()],
    actions: [...KEY_ADMIN_ACTIONS],
    resources: ['*'],
  });
}

/** Use through one AWS service (DynamoDB or S3) by principals of this account whose IAM policies allow it. */
export function serviceUseStatement(service: 'dynamodb' | 's3', region: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: `UseThrough${service === 'dynamodb' ? 'DynamoDB' : 'S3'}`,
    principals: [accountRoot()],
    actions: [...SERVICE_USE_ACTIONS],
    resources: ['*'],
    conditions: {
      StringEquals: { 'kms:ViaService': `${service}.${region}.amazonaws.com`, 'kms:CallerAccount': Aws.ACCOUNT_ID },
    },
  });
}

/** Direct Encrypt/Decrypt statements: one per (action, purpose), naming the roles allowed. */
export function vaultUseStatements(config: BkvConfig, region: string, routes: readonly RouteSpec[] = ROUTES): iam.PolicyStatement[] {
  const byGrant = new Map<string, { action: KeyAction; purpose: SealPurpose; roles: string[] }>();
  for (const user of vaultKeyUsers(config, region, routes)) {
    for (const [action, purposes] of [['kms:Encrypt', user.seal], ['kms:Decrypt', user.unseal]] as const) {
      for (const purpose of purposes) {
        const k = `${action}|${purpose}`;
        const entry = byGrant.get(k) ?? { action, purpose, roles: [] };
        entry.roles.push(functionRoleArn(config, region, user.functionId));
        byGrant.set(k, entry);
      }
    }
  }
  return [...byGrant.values()].map(({ action, purpose, roles }) => {
    const conditions = purposeConditions(purpose);
    return new iam.PolicyStatement({
      sid: `${action === 'kms:Encrypt' ? 'Seal' : 'Unseal'}${purpose.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase())}`,
      principals: [accountRoot()],
      actions: [action],
      resources: ['*'],
      conditions: { ...conditions, ArnEquals: { 'aws:PrincipalArn': roles } },
    });
  });
}

export function vaultKeyPolicy(config: BkvConfig, region: string, routes: readonly RouteSpec[] = ROUTES): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [adminStatement(), serviceUseStatement('dynamodb', region), ...vaultUseStatements(config, region, routes)],
  });
}

export function blobKeyPolicy(region: string): iam.PolicyDocument {
  return new iam.PolicyDocument({ statements: [adminStatement(), serviceUseStatement('s3', region)] });
}
