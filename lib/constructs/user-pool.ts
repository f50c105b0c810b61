// The fallback identity provider, created only when no bkv:jwtIssuer/bkv:jwtAudience is configured: a Cognito user
// pool (e-mail sign-in, strong passwords, TOTP MFA required, no SMS) and a public app client (SRP only, no client
// secret, user-existence errors hidden). The JWT authorizer trusts its issuer with the client id as audience
// (API Gateway checks `aud` for ID tokens and `client_id` for access tokens). Retained and deletion-protected:
// deleting it would orphan every account's vault (the account id is the token's `sub`).

import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';

export const PLUS_TIER_REASON =
  'The Plus feature plan (threat protection) is not enabled by default: it costs about $0.02 per monthly active ' +
  'user, several times the vault\'s own cost per user (docs/deploy.md). This pool is the getting-started default; ' +
  'production deployments are expected to set bkv:jwtIssuer to their own identity provider. MFA (TOTP) is ' +
  'required, passwords are strong, and the vault\'s guess limit and OPAQUE do not depend on the pool\'s defenses.';

export class BkvUserPool extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: { config: BkvConfig; region: string }) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${props.config.name}-users`,
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      featurePlan: cognito.FeaturePlan.ESSENTIALS,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.userPool).acknowledge({ id: 'AwsSolutions-COG8', reason: PLUS_TIER_REASON });
    this.client = this.userPool.addClient('AppClient', {
      userPoolClientName: `${props.config.name}-app`,
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    this.issuer = `https://cognito-idp.${props.region}.amazonaws.com/${this.userPool.userPoolId}`;
  }
}
