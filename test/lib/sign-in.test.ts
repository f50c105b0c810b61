// The CDK app's sign-in and browser-client properties (issue 12), asserted on the synthesized templates: the
// Cognito pool's self sign-up off by default and on only by bkv:selfSignUp; the CLI's public app client
// (authorization code + PKCE only, no secret, the loopback callbacks of protocol/sign-in.ts, refresh tokens,
// revocation); the managed login domain; the outputs `bkv login` needs; `GET /v1/auth` outside the authorizer
// with its sign-in document; CORS on the API and the buckets only when bkv:corsOrigins is set; and with
// bkv:jwtIssuer the team's provider instead (no pool, its settings in the sign-in document).

import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXED_CALLBACK_PORTS } from '../../protocol/sign-in.js';
import { SYNTH_TIMEOUT_MS, props, resourcesOf, synthesize, type Synthesized } from './fixture.js';

const CALLBACKS = FIXED_CALLBACK_PORTS.map((p) => `http://localhost:${p}/callback`);

/** The SIGN_IN environment of the discovery route's function, with tokens rendered as text. */
function signInEnv(s: Synthesized): string {
  const fns = resourcesOf(s.template(s.primaryApi), 'AWS::Lambda::Function').map(([, r]) => props(r));
  const found = fns.find((f) => (f.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.SIGN_IN !== undefined);
  expect(found, 'a function with SIGN_IN').toBeDefined();
  const withSignIn = fns.filter((f) => (f.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.SIGN_IN !== undefined);
  expect(withSignIn).toHaveLength(1);
  return JSON.stringify((found!.Environment as { Variables: Record<string, unknown> }).Variables.SIGN_IN);
}

describe('default deployment (Cognito)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize();
  }, SYNTH_TIMEOUT_MS);

  it('has self sign-up off', () => {
    s.template(s.auth!).hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
  });

  it('has a public app client for the CLI: code + PKCE only, no secret, loopback callbacks, refresh tokens, revocation', () => {
    s.template(s.auth!).hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: Match.arrayWith(['openid']),
      CallbackURLs: CALLBACKS,
      SupportedIdentityProviders: ['COGNITO'],
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_REFRESH_TOKEN_AUTH']),
      EnableTokenRevocation: true,
      RefreshTokenValidity: Match.anyValue(),
      PreventUserExistenceErrors: 'ENABLED',
    });
    const client = props(resourcesOf(s.template(s.auth!), 'AWS::Cognito::UserPoolClient')[0]![1]);
    expect(client.AllowedOAuthFlows).not.toContain('implicit');
    expect(client.AllowedOAuthFlows).not.toContain('client_credentials');
  });

  it('has a managed login domain with a style for the client', () => {
    s.template(s.auth!).hasResourceProperties('AWS::Cognito::UserPoolDomain', { ManagedLoginVersion: 2, Domain: Match.anyValue() });
    s.template(s.auth!).resourceCountIs('AWS::Cognito::ManagedLoginBranding', 1);
  });

  it('outputs what bkv login needs (the API URL is enough; the pool\'s ids, issuer and login domain for reference)', () => {
    const outputs = Object.keys(s.template(s.auth!).findOutputs('*'));
    expect(outputs).toEqual(expect.arrayContaining(['UserPoolId', 'UserPoolClientId', 'JwtIssuer', 'SignInDomain', 'SignInCallbackUrls']));
    expect(Object.keys(s.template(s.primaryApi).findOutputs('*'))).toContain('ApiUrl');
  });

  it('serves the Cognito sign-in document at GET /v1/auth, outside the authorizer, from a function with no permissions', () => {
    const env = signInEnv(s);
    expect(env).toMatch(/\\"bearer\\":\\"access_token\\"/);
    expect(env).toMatch(/\\"redirect\\":\{\\"host\\":\\"localhost\\",\\"ports\\":\[45817,45818,45819\]\}/);
    expect(env).toMatch(/cognito-idp\.us-east-1\.amazonaws\.com/);
    s.template(s.primaryApi).hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/auth', AuthorizationType: 'NONE', AuthorizerId: Match.absent() });
  });

  it('has no CORS on the API or the buckets', () => {
    for (const api of [s.primaryApi, s.replicaApi]) {
      const t = s.template(api);
      for (const [, r] of resourcesOf(t, 'AWS::ApiGatewayV2::Api')) expect(props(r).CorsConfiguration).toBeUndefined();
      for (const [, r] of resourcesOf(t, 'AWS::S3::Bucket')) expect(props(r).CorsConfiguration).toBeUndefined();
    }
  });
});

describe('bkv:selfSignUp and bkv:corsOrigins', () => {
  let s: Synthesized;
  const ORIGINS = ['https://app.example.com', 'http://localhost:5173'];
  beforeAll(() => {
    s = synthesize({ 'bkv:selfSignUp': true, 'bkv:corsOrigins': ORIGINS.join(',') });
  }, SYNTH_TIMEOUT_MS);

  it('turn self sign-up on', () => {
    s.template(s.auth!).hasResourceProperties('AWS::Cognito::UserPool', { AdminCreateUserConfig: { AllowAdminCreateUserOnly: false } });
  });

  it('allow exactly the configured origins on both APIs and both backup buckets', () => {
    for (const api of [s.primaryApi, s.replicaApi]) {
      const t = s.template(api);
      t.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: { AllowOrigins: ORIGINS, AllowMethods: ['GET', 'POST', 'DELETE'], AllowHeaders: ['authorization', 'content-type'] },
      });
      t.hasResourceProperties('AWS::S3::Bucket', {
        CorsConfiguration: { CorsRules: [Match.objectLike({ AllowedOrigins: ORIGINS, AllowedMethods: ['GET', 'PUT', 'HEAD'], ExposedHeaders: Match.arrayWith(['ETag']) })] },
      });
      // The access-log bucket takes no browser requests.
      const withCors = resourcesOf(t, 'AWS::S3::Bucket').filter(([, r]) => props(r).CorsConfiguration !== undefined);
      expect(withCors).toHaveLength(1);
    }
  });
});

describe('bkv:jwtIssuer: the team\'s own provider', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({
      'bkv:jwtIssuer': 'https://example.okta.com/oauth2/default', 'bkv:jwtAudience': 'api://bkv',
      'bkv:signInClientId': '0oa1example', 'bkv:signInScopes': 'openid offline_access bkv', 'bkv:signInCallback': 'localhost:45817,45818',
    });
  }, SYNTH_TIMEOUT_MS);

  it('creates no user pool and serves the provider\'s sign-in settings at GET /v1/auth', () => {
    expect(s.auth).toBeUndefined();
    const env = JSON.parse(JSON.parse(signInEnv(s)) as string) as Record<string, unknown>;
    expect(env).toEqual({
      issuer: 'https://example.okta.com/oauth2/default', audience: 'api://bkv', clientId: '0oa1example',
      scopes: ['openid', 'offline_access', 'bkv'], bearer: 'access_token', redirect: { host: 'localhost', ports: [45817, 45818] },
    });
    s.template(s.primaryApi).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: 'https://example.okta.com/oauth2/default', Audience: ['api://bkv'] },
    });
  });
});
