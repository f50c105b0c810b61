// The vault key as seen by a function: `grantSeal` sets KMS_KEY_ID and adds, for each purpose, an IAM statement
// allowing Encrypt (seal) or Decrypt (unseal) on this region's key only with that purpose and an account in the
// encryption context: the same conditions the key policy (key-policies.ts) enforces on its side.

import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { SealPurpose } from '../../functions/ports.js';
import { purposeConditions } from './key-policies.js';
import { RESOURCE_ENV } from '../../protocol/env.js';

export interface SealGrant {
  seal?: readonly SealPurpose[];
  unseal?: readonly SealPurpose[];
}

export class VaultKey {
  constructor(readonly keyArn: string) {}

  /** Sets KMS_KEY_ID and lets `fn` seal and unseal exactly these purposes. */
  grantSeal(fn: lambda.Function, grant: SealGrant): void {
    fn.addEnvironment(RESOURCE_ENV.kmsKeyId, this.keyArn);
    for (const [action, purposes] of [['kms:Encrypt', grant.seal ?? []], ['kms:Decrypt', grant.unseal ?? []]] as const) {
      for (const purpose of purposes) {
        fn.addToRolePolicy(new iam.PolicyStatement({
          actions: [action],
          resources: [this.keyArn],
          conditions: purposeConditions(purpose),
        }));
      }
    }
  }
}
