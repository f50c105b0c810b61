// The Cognito fallback identity provider (primary region), only when no JWT issuer is configured. Outputs what a
// client needs to sign users in.

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';
import { BkvUserPool } from '../constructs/user-pool.js';

export class AuthStack extends Stack {
  readonly pool: BkvUserPool;

  constructor(scope: Construct, id: string, props: StackProps & { config: BkvConfig }) {
    super(scope, id, { ...props, crossRegionReferences: true });
    this.pool = new BkvUserPool(this, 'Users', { config: props.config, region: props.config.regions.primary });
    new CfnOutput(this, 'UserPoolId', { value: this.pool.userPool.userPoolId, description: 'Cognito user pool id' });
    new CfnOutput(this, 'UserPoolClientId', { value: this.pool.client.userPoolClientId, description: 'public app client id (SRP sign-in, no secret)' });
    new CfnOutput(this, 'JwtIssuer', { value: this.pool.issuer, description: 'issuer the API trusts' });
  }
}
