// The fallback identity provider, created only when no bkv:jwtIssuer/bkv:jwtAudience is configured: a Cognito user
// pool (e-mail sign-in, strong passwords, TOTP MFA required, no SMS; self sign-up off unless bkv:selfSignUp), a
// managed login domain, and a public app client for the CLI and the SDK: authorization code with PKCE only (no
// implicit grant, no secret), loopback callbacks on the fixed ports of protocol/sign-in.ts (Cognito matches
// redirect URIs exactly and takes plain http only for `localhost`), refresh tokens (30 days, revocable), SRP for
// programs that sign in without a browser. The JWT authorizer trusts its issuer with the client id as audience
// (API Gateway checks `aud` for ID tokens and `client_id` for access tokens). Retained and deletion-protected:
// deleting it would orphan every account's vault (the account id is the token's `sub`).

import { Aws, Duration, Fn, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import type { BkvConfig } from '../config.js';
import { CALLBACK_PATH, FIXED_CALLBACK_PORTS, type SignInConfig } from '../../protocol/sign-in.js';

/** The app client's callback URLs: `http://localhost:<port>/callback` for each fixed port. */
export const CLI_CALLBACK_URLS = FIXED_CALLBACK_PORTS.map((p) => `http://localhost:${p}${CALLBACK_PATH}`);
export const CLI_SCOPES = ['openid', 'email', 'profile'] as const;

export const PLUS_TIER_REASON =
  'The Plus feature plan (threat protection) is not enabled by default: it costs about $0.02 per monthly active ' +
  'user, several times the vault\'s own cost per user (docs/deploy.md). This pool is the getting-started default; ' +
  'production deployments are expected to set bkv:jwtIssuer to their own identity provider. MFA (TOTP) is ' +
  'required, passwords are strong, and the vault\'s guess limit and OPAQUE do not depend on the pool\'s defenses.';

export class BkvUserPool extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly issuer: string;
  readonly domain: cognito.UserPoolDomain;
  /** The managed login's base URL (`https://<prefix>.auth.<region>.amazoncognito.com`). */
  readonly loginUrl: string;

  constructor(scope: Construct, id: string, props: { config: BkvConfig; region: string }) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${props.config.name}-users`,
      selfSignUpEnabled: props.config.selfSignUp,
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
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: [...CLI_CALLBACK_URLS],
        logoutUrls: [...CLI_CALLBACK_URLS],
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    this.issuer = `https://cognito-idp.${props.region}.amazonaws.com/${this.userPool.userPoolId}`;
    // The prefix must be unique in the region: the configured one, or the name and the account id.
    const domainPrefix = props.config.cognitoDomainPrefix ?? Fn.join('-', [props.config.name, Aws.ACCOUNT_ID]);
    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix },
      managedLoginVersion: cognito.ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // Managed login shows its pages only for clients that have a style; Cognito's own look.
    new cognito.CfnManagedLoginBranding(this, 'Branding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    this.loginUrl = this.domain.baseUrl();
  }

  /** The sign-in document of `GET /v1/auth` for this pool (values are tokens, resolved at deploy time). */
  signIn(): SignInConfig {
    return {
      issuer: this.issuer,
      clientId: this.client.userPoolClientId,
      scopes: [...CLI_SCOPES],
      audience: this.client.userPoolClientId,
      bearer: 'access_token',
      redirect: { host: 'localhost', ports: [...FIXED_CALLBACK_PORTS] },
    };
  }
}
