// The RealmStack (lib/stacks/realm-stack.ts) an independent team deploys into its own account: only the realm
// routes, all behind a JWT authorizer trusting the primary's provider; its own MRSC table and rotating KMS key;
// each function sealing or unsealing only purpose realm-record; cdk-nag's AwsSolutions pack passes; synth is offline.

import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { addNagChecks } from '../../lib/nag.js';
import { buildRealmApp, REALM_ROUTES, type RealmStack } from '../../lib/stacks/realm-stack.js';
import { SYNTH_TIMEOUT_MS, testApp } from './fixture.js';

const context = {
  'bkv:jwtIssuer': 'https://login.example.com', 'bkv:jwtAudience': 'bkv', 'bkv:realmId': 'AAAAAAAAAAAAAAAAAAAAAg', 'bkv:name': 'realm',
  'bkv:regions': 'eu-west-1,eu-west-2,eu-west-3',
};
let stack: RealmStack;
let t: Template;
let keys: Template;
let replicaKeys: Template;

beforeAll(() => {
  const app = testApp(context);
  stack = buildRealmApp(app, { account: '222222222222' });
  addNagChecks(app);
  app.synth(); // cdk-nag findings fail the synth
  t = Template.fromStack(stack);
  keys = Template.fromStack(stack.keysStack);
  replicaKeys = Template.fromStack(stack.replicaKeysStack);
}, SYNTH_TIMEOUT_MS);

describe('RealmStack', () => {
  it('serves exactly the realm routes, each behind the JWT authorizer of the primary\'s provider', () => {
    const keys = Object.values(t.findResources('AWS::ApiGatewayV2::Route')).map((r) => (r as { Properties: { RouteKey: string } }).Properties.RouteKey);
    expect(keys.sort()).toEqual(REALM_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(keys).not.toContain('GET /v1/auth');
    t.allResourcesProperties('AWS::ApiGatewayV2::Route', { AuthorizationType: 'JWT' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT', JwtConfiguration: { Issuer: 'https://login.example.com', Audience: ['bkv'] },
    });
  });

  it('has its own strongly consistent multi-Region table (regions from context), encrypted with its own rotating key in both regions, all retained', () => {
    t.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      MultiRegionConsistency: 'STRONG',
      GlobalTableWitnesses: Match.arrayWith([Match.objectLike({ Region: 'eu-west-3' })]),
      Replicas: Match.arrayWith([Match.objectLike({ Region: 'eu-west-2' })]),
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
    });
    const replicas = JSON.stringify(Object.values(t.findResources('AWS::DynamoDB::GlobalTable'))[0]);
    expect(replicas).toContain('arn:'); // each replica names a KMS key: customer managed, not AWS owned
    expect(replicas).toMatch(/kms:eu-west-2:/);
    t.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain' });
    keys.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, MultiRegion: true });
    keys.allResources('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
    replicaKeys.hasResourceProperties('AWS::KMS::ReplicaKey', { Enabled: true });
    replicaKeys.hasResource('AWS::KMS::ReplicaKey', { DeletionPolicy: 'Retain' });
    expect(stack.region).toBe('eu-west-1');
    expect(stack.replicaKeysStack.region).toBe('eu-west-2');
    t.resourceCountIs('AWS::S3::Bucket', 0);
  });

  it('alarms on server errors, throttles and a spike of lockouts', () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => (a as { Properties: { AlarmDescription: string } }).Properties.AlarmDescription);
    expect(alarms).toHaveLength(3);
    expect(alarms.join('\n')).toMatch(/server errors/);
    expect(alarms.join('\n')).toMatch(/throttled invocations/);
    expect(alarms.join('\n')).toMatch(/locked \(423\)/);
    const throttles = Object.values(t.findResources('AWS::CloudWatch::Alarm')).find((a) => JSON.stringify(a).includes('throttled'))!;
    expect(JSON.stringify(throttles).match(/"MetricName":"Throttles"/g)).toHaveLength(REALM_ROUTES.length);
  });

  it('gives each function its realm id and only the realm-record purpose of the key', () => {
    const fns = Object.values(t.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }[];
    const routeFns = fns.filter((f) => f.Properties.Environment?.Variables?.REALM_ID !== undefined);
    expect(routeFns).toHaveLength(REALM_ROUTES.length);
    for (const f of routeFns) expect(f.Properties.Environment!.Variables!.REALM_ID).toBe('AAAAAAAAAAAAAAAAAAAAAg');
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('realm-record');
    for (const other of ['sealed-key', 'opaque-record', 'login-state', 'server-setup']) expect(policies).not.toContain(`"${other}"`);
  });

  it('derives its registration key from its own HMAC key, which only the register and status functions may MAC with', () => {
    keys.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const fns = Object.entries(t.findResources('AWS::Lambda::Function')) as [string, { Properties: { Environment?: { Variables?: Record<string, unknown> }; Description?: string } }][];
    const withKey = fns.filter(([, f]) => f.Properties.Environment?.Variables?.REALM_KEY_ID !== undefined);
    expect(withKey.map(([, f]) => f.Properties.Description).sort()).toEqual([expect.stringContaining('GET /v1/realm'), expect.stringContaining('POST /v1/realm/register')]);
    const macPolicies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes('kms:GenerateMac'));
    expect(macPolicies).toHaveLength(2);
    // the key policy names exactly those two roles
    const key = Object.values(keys.findResources('AWS::KMS::Key')).find((k) => (k as { Properties: { KeySpec?: string } }).Properties.KeySpec === 'HMAC_256')!;
    const mac = JSON.stringify((key as { Properties: { KeyPolicy: { Statement: { Sid?: string }[] } } }).Properties.KeyPolicy.Statement.find((s) => s.Sid === 'RealmKeySeed'));
    expect(mac.match(/realm\.(register|status|recoveryStart|recoveryFinish|delete)\b/g)!.sort()).toEqual(['realm.register', 'realm.status']);
  });

  it('passes cdk-nag with no unacknowledged error', () => {
    for (const s of [stack, stack.keysStack, stack.replicaKeysStack]) {
      expect(Annotations.fromStack(s).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))).toEqual([]);
    }
  });

  it('refuses to build without the primary\'s identity provider', () => {
    expect(() => buildRealmApp(testApp({ 'bkv:realmId': 'AAAAAAAAAAAAAAAAAAAAAg' }))).toThrow(/bkv:jwtIssuer/);
  });
});
