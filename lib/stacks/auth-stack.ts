// The Cognito fallback identity provider (primary region), only when no JWT issuer is configured. Outputs what a
// client needs to sign users in (clients need only the ApiUrl: `GET /v1/auth` serves the same).

import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';
import { BkvUserPool, CLI_CALLBACK_URLS } from '../constructs/user-pool.js';

export class AuthStack extends Stack {
  readonly pool: BkvUserPool;

  constructor(scope: Construct, id: string, props: StackProps & { config: BkvConfig }) {
    super(scope, id, { ...props, crossRegionReferences: true });
    this.pool = new BkvUserPool(this, 'Users', { config: props.config, region: props.config.regions.primary });
    new CfnOutput(this, 'UserPoolId', { value: this.pool.userPool.userPoolId, description: 'Cognito user pool id' });
    new CfnOutput(this, 'UserPoolClientId', { value: this.pool.client.userPoolClientId, description: 'public app client id (authorization code + PKCE, loopback callbacks, no secret)' });
    new CfnOutput(this, 'JwtIssuer', { value: this.pool.issuer, description: 'issuer the API trusts' });
    new CfnOutput(this, 'SignInDomain', { value: this.pool.loginUrl, description: 'managed login (bkv login opens it)' });
    new CfnOutput(this, 'SignInCallbackUrls', { value: CLI_CALLBACK_URLS.join(','), description: 'loopback callbacks of the CLI' });
  }
}
