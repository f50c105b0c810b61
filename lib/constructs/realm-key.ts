// A realm's registration key on AWS (docs/deploy.md "Realms"; functions/adapters/kms-realm-key-seed.ts): a KMS
// HMAC_256 key whose MAC over "bkv/realm/v1/realm-key-seed" ‖ realmId seeds the realm's X25519 key pair (RFC 9180
// DeriveKeyPair). Only the functions of routes whose permissions name `realmKey` (register, to open boxes; status,
// to answer the public key) may MAC with it: by their IAM policies and by the key policy, which names their roles,
// as for the vault key (key-policies.ts). HMAC keys do not rotate (rotation would change the published key).

import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Aws } from 'aws-cdk-lib';
import { ROUTES, type RouteSpec } from '../../functions/routes.js';
import type { BkvConfig } from '../config.js';
import { functionRoleArn } from '../names.js';
import { adminStatement } from './key-policies.js';
import { RESOURCE_ENV } from '../../protocol/env.js';

const MAC_ALGORITHM = { StringEquals: { 'kms:MacAlgorithm': 'HMAC_SHA_256' } };

export function realmKeyPolicy(config: BkvConfig, region: string, routes: readonly RouteSpec[] = ROUTES): iam.PolicyDocument {
  const roles = routes.filter((r) => r.permissions.realmKey).map((r) => functionRoleArn(config, region, r.id));
  return new iam.PolicyDocument({
    statements: [adminStatement(), new iam.PolicyStatement({
      sid: 'RealmKeySeed',
      principals: [new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`)],
      actions: ['kms:GenerateMac'],
      resources: ['*'],
      conditions: { ...MAC_ALGORITHM, ArnEquals: { 'aws:PrincipalArn': roles } },
    })],
  });
}

/** Sets REALM_KEY_ID and lets `fn` MAC with the key (nothing else). */
export function grantRealmKeySeed(fn: lambda.Function, keyArn: string): void {
  fn.addEnvironment(RESOURCE_ENV.realmKeyId, keyArn);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:GenerateMac'], resources: [keyArn], conditions: MAC_ALGORITHM }));
}
