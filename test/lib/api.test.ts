// The synthesized app, serving side: stacks and their order, one HTTP API per serving region whose routes are
// exactly the route table's, one nodejs22.x arm64 function per route, JWT authorization on every route, route
// throttling, access logs without bodies or tokens, the identity provider (configured issuer or Cognito), the
// OPAQUE server-setup custom resource, and the alarms.

import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { CONTEXT_KEYS } from '../../lib/config.js';
import { ACCESS_LOG_FIELDS, ROUTE_THROTTLE } from '../../lib/constructs/vault-api.js';
import { SERVER_SETUP_RESOURCE_TYPE } from '../../lib/constructs/server-setup.js';
import { asArray, flatten, functionsByRoute, props, resourcesOf, synthesize, type Synthesized, SYNTH_TIMEOUT_MS } from './fixture.js';

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
}, SYNTH_TIMEOUT_MS);

const apis = () => [s.primaryApi, s.replicaApi];

describe('stacks', () => {
  it('puts keys, data and APIs in the configured regions, deployed in dependency order', () => {
    expect([s.primaryKeys, s.replicaKeys, s.data, s.primaryApi, s.replicaApi].map((x) => [x.stackName, x.region])).toEqual([
      ['bkv-keys-us-east-1', 'us-east-1'], ['bkv-keys-us-east-2', 'us-east-2'], ['bkv-data-us-east-1', 'us-east-1'],
      ['bkv-api-us-east-1', 'us-east-1'], ['bkv-api-us-east-2', 'us-east-2'],
    ]);
    const assembly = s.app.synth();
    const deps = (name: string) => assembly.getStackByName(name).dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets'));
    expect(deps('bkv-keys-us-east-1')).toEqual([]);
    expect(deps('bkv-keys-us-east-2')).toEqual(['bkv-keys-us-east-1']);
    expect(deps('bkv-data-us-east-1').sort()).toEqual(['bkv-keys-us-east-1', 'bkv-keys-us-east-2']);
    expect(deps('bkv-api-us-east-2').sort()).toEqual(['bkv-auth-us-east-1', 'bkv-data-us-east-1', 'bkv-keys-us-east-2']);
    // The primary bucket replicates into the replica's: the replica region's API stack deploys first.
    expect(deps('bkv-api-us-east-1').sort()).toEqual(['bkv-api-us-east-2', 'bkv-auth-us-east-1', 'bkv-data-us-east-1', 'bkv-keys-us-east-1']);
  });

  it('needs no context lookups (synth works offline)', () => {
    const assembly = s.app.synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });
});

describe.each(['primary', 'replica'] as const)('the %s region API', (which) => {
  const stack = () => (which === 'primary' ? s.primaryApi : s.replicaApi);
  const t = () => s.template(stack());

  it('has exactly the routes of the route table, each behind the JWT authorizer but sign-in discovery', () => {
    const routes = resourcesOf(t(), 'AWS::ApiGatewayV2::Route').map(([, r]) => props(r));
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    const open = new Set(ROUTES.filter((r) => r.auth === 'none').map((r) => `${r.method} ${r.path}`));
    expect([...open]).toEqual(['GET /v1/auth', 'GET /v1/realms']);
    for (const r of routes) {
      if (open.has(String(r.RouteKey))) expect(r.AuthorizationType ?? 'NONE').toBe('NONE');
      else expect(r).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: expect.anything() });
    }
    t().resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    t().hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: Match.anyValue(), Audience: Match.anyValue() },
    });
  });

  it('has one nodejs22.x arm64 function per route, running the route\'s exported handler', () => {
    const fns = functionsByRoute(stack(), t());
    expect([...fns.keys()].sort()).toEqual(ROUTES.map((r) => r.id).sort());
    for (const r of ROUTES) {
      expect(props(fns.get(r.id)!.fn)).toMatchObject({
        Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: `index.${r.handler}`, MemorySize: 1024, Timeout: 10,
      });
    }
    // Each route integrates with its own function (payload format 2.0).
    const integrations = resourcesOf(t(), 'AWS::ApiGatewayV2::Integration').map(([, i]) => props(i));
    expect(integrations).toHaveLength(ROUTES.length);
    for (const i of integrations) expect(i).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
  });

  it('throttles every route and logs requests without bodies, headers, tokens or claims', () => {
    t().hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: ROUTE_THROTTLE.rateLimit, ThrottlingBurstLimit: ROUTE_THROTTLE.burstLimit },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: JSON.stringify(ACCESS_LOG_FIELDS) },
    });
    const format = JSON.stringify(ACCESS_LOG_FIELDS).toLowerCase();
    for (const forbidden of ['body', 'authorization', 'header', 'claims', 'path', 'querystring']) expect(format).not.toContain(forbidden);
    expect(format).toContain('$context.requestid');
  });

  it('gives every function its own log group with a retention, and no CORS', () => {
    const groups = resourcesOf(t(), 'AWS::Logs::LogGroup');
    expect(groups.length).toBe(ROUTES.length + 1); // + the access log group
    for (const [, g] of groups) expect(props(g).RetentionInDays).toBe(365);
    expect(props(resourcesOf(t(), 'AWS::ApiGatewayV2::Api')[0]![1]).CorsConfiguration).toBeUndefined();
  });

  it('alarms on 5xx answers and on spikes of locked answers and of registration starts', () => {
    t().hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5xx', Namespace: 'AWS/ApiGateway', Statistic: 'Sum', ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    t().hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Locked', Namespace: 'bkv', Dimensions: [{ Name: 'service', Value: 'bkv' }], Statistic: 'Sum',
      Period: 300, Threshold: Match.anyValue(),
    });
    t().hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RegistrationStarts', Namespace: 'bkv', Dimensions: [{ Name: 'service', Value: 'bkv' }], Statistic: 'Sum',
      Period: 300, Threshold: 100, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('outputs the API URL', () => {
    t().hasOutput('ApiUrl', { Value: Match.anyValue() });
  });
});

describe('identity provider', () => {
  it('without bkv:jwtIssuer: a Cognito pool with strong passwords, required TOTP MFA and a public SRP-only client', () => {
    expect(s.auth).toBeDefined();
    const t = s.template(s.auth!);
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
      DeletionProtection: 'ACTIVE',
    });
    t.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain' });
    t.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
    });
    for (const o of ['UserPoolId', 'UserPoolClientId', 'JwtIssuer']) t.hasOutput(o, { Value: Match.anyValue() });
    // Both regions' authorizers trust that pool (the replica's through a cross-region output reference).
    for (const api of apis()) {
      const [, authz] = resourcesOf(s.template(api), 'AWS::ApiGatewayV2::Authorizer')[0]!;
      const jwt = props(authz).JwtConfiguration as Record<string, unknown>;
      expect(flatten(jwt.Issuer)).toMatch(/^https:\/\/cognito-idp\.us-east-1\.amazonaws\.com\/\$\{/);
      expect(asArray(jwt.Audience)).toHaveLength(1);
    }
  });

  it('with bkv:jwtIssuer/bkv:jwtAudience: trusts that issuer and creates no user pool', () => {
    const own = synthesize({ [CONTEXT_KEYS.jwtIssuer]: 'https://login.example.com/', [CONTEXT_KEYS.jwtAudience]: 'bkv-app,bkv-cli' });
    expect(own.auth).toBeUndefined();
    for (const { template } of own.all()) template.resourceCountIs('AWS::Cognito::UserPool', 0);
    for (const api of [own.primaryApi, own.replicaApi]) {
      own.template(api).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['bkv-app', 'bkv-cli'] },
      });
    }
  }, SYNTH_TIMEOUT_MS);
});

describe('OPAQUE server setup', () => {
  it('is a custom resource backed directly by the server-setup function, with no properties to leak', () => {
    const t = s.template(s.data);
    const [[, cr]] = [resourcesOf(t, SERVER_SETUP_RESOURCE_TYPE)[0]!];
    expect(Object.keys(props(cr))).toEqual(['ServiceToken']);
    expect(flatten(props(cr).ServiceToken)).toMatch(/^\$\{OpaqueServerSetupHandlerFunction[0-9A-F]+\.Arn\}$/);
    expect(cr.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^VaultTable/)]));
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler', Runtime: 'nodejs22.x', Timeout: 60,
      Environment: { Variables: Match.objectLike({ VAULT_TABLE: 'bkv-vault', KMS_KEY_ID: Match.anyValue() }) },
    });
  });

  it('appears in no output of any stack', () => {
    for (const { template } of s.all()) {
      const outputs = JSON.stringify(template.toJSON().Outputs ?? {}).toLowerCase();
      expect(outputs).not.toMatch(/setup|opaque/);
    }
  });
});
