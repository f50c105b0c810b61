// lib/config.ts: the deployment settings cdk.json / `-c` give, at their exact boundaries, and the clear errors
// `cdk synth` stops with when they are wrong.

import { describe, expect, it } from 'vitest';
import {
  CONTEXT_KEYS, ConfigError, DEFAULTS, parseConfig, parseRegions, REPO_QUOTA_LIMITS, servingRegions,
} from '../../lib/config.js';
import { CDK_CONTEXT } from './fixture.js';

const from = (ctx: Record<string, unknown>) => parseConfig((k) => ctx[k]);
const fails = (ctx: Record<string, unknown>, message: RegExp) => {
  expect(() => from(ctx)).toThrow(ConfigError);
  expect(() => from(ctx)).toThrow(message);
};

describe('deployment config', () => {
  it('defaults to the US MRSC set, 10 attempts, a 50 GiB repository quota, 30 days of deleted objects, no Object Lock, Cognito', () => {
    const c = from({});
    expect(c).toEqual({
      name: 'bkv',
      regions: { primary: 'us-east-1', replica: 'us-east-2', witness: 'us-west-2' },
      maxAttempts: 10,
      repoQuotaBytes: 50 * 1024 ** 3,
      deletedRetentionDays: 30,
      selfSignUp: false,
      corsOrigins: [],
      realmId: 'AAAAAAAAAAAAAAAAAAAAAQ',
    });
    expect(c.jwt).toBeUndefined();
    expect(servingRegions(c)).toEqual(['us-east-1', 'us-east-2']);
  });

  it('cdk.json states the defaults explicitly', () => {
    const c = parseConfig((k) => CDK_CONTEXT[k]);
    expect({ ...c }).toEqual({ ...DEFAULTS, regions: { ...DEFAULTS.regions } });
  });

  it.for([
    [1, 1], [255, 255], ['10', 10], [' 7 ', 7],
  ] as const)('maxAttempts %j is accepted as %i', ([value, want]) => {
    expect(from({ [CONTEXT_KEYS.maxAttempts]: value }).maxAttempts).toBe(want);
  });

  it.for([0, 256, -1, 1.5, '1e1', 'ten', true, [10]])('maxAttempts %j is refused', (value) => {
    fails({ [CONTEXT_KEYS.maxAttempts]: value }, /bkv:maxAttempts must be an integer from 1 to 255/);
  });

  it.for([
    [REPO_QUOTA_LIMITS.min, true], [REPO_QUOTA_LIMITS.max, true], [REPO_QUOTA_LIMITS.min - 1, false], [REPO_QUOTA_LIMITS.max + 1, false],
  ] as const)('repoQuotaBytes %i accepted: %s', ([value, ok]) => {
    const ctx = { [CONTEXT_KEYS.repoQuotaBytes]: value };
    if (ok) expect(from(ctx).repoQuotaBytes).toBe(value);
    else fails(ctx, /bkv:repoQuotaBytes must be an integer from 1048576 to 1125899906842624/);
  });

  it('repoQuotaBytes defaults to 50 GiB', () => {
    expect(from({}).repoQuotaBytes).toBe(50 * 1024 ** 3);
  });

  it.for([
    ['object', { primary: 'eu-west-1', replica: 'eu-central-1', witness: 'eu-west-3' }],
    ['JSON', '{"primary":"eu-west-1","replica":"eu-central-1","witness":"eu-west-3"}'],
    ['list', 'eu-west-1, eu-central-1, eu-west-3'],
  ] as const)('regions as %s', ([, value]) => {
    expect(parseRegions(value)).toEqual({ primary: 'eu-west-1', replica: 'eu-central-1', witness: 'eu-west-3' });
  });

  it.for([
    ['us-east-1,us-east-1,us-west-2', /three different regions/],
    ['us-east-1,eu-west-1,us-west-2', /replica eu-west-1 is not in the US MRSC region set/],
    ['ap-northeast-1,ap-northeast-2,us-west-2', /witness us-west-2 is not in the AP MRSC region set/],
    ['sa-east-1,us-east-2,us-west-2', /primary sa-east-1 does not support DynamoDB multi-Region strong consistency/],
    ['us-east-1,us-east-2', /three regions/],
    ['{"primary":"us-east-1"', /not valid JSON/],
    [{ primary: 'us-east-1', replica: 'us-east-2', witness: 'us-west-2', extra: 'x' }, /unknown field\(s\): extra/],
    [{ primary: 'US-EAST-1', replica: 'us-east-2', witness: 'us-west-2' }, /primary must be an AWS region name/],
    [42, /must be an object/],
  ] as const)('regions %j are refused', ([value, message]) => {
    fails({ [CONTEXT_KEYS.regions]: value }, message);
  });

  it('trusts a configured identity provider when issuer and audience are both set', () => {
    const c = from({ [CONTEXT_KEYS.jwtIssuer]: 'https://id.example.com/', [CONTEXT_KEYS.jwtAudience]: 'app-1, app-2' });
    expect(c.jwt).toEqual({ issuer: 'https://id.example.com/', audience: ['app-1', 'app-2'] });
    expect(from({ [CONTEXT_KEYS.jwtIssuer]: 'https://id.example.com', [CONTEXT_KEYS.jwtAudience]: ['a'] }).jwt?.audience).toEqual(['a']);
  });

  it.for([
    [{ [CONTEXT_KEYS.jwtIssuer]: 'https://id.example.com' }, /bkv:jwtIssuer is set but bkv:jwtAudience is not/],
    [{ [CONTEXT_KEYS.jwtAudience]: 'app' }, /bkv:jwtAudience is set but bkv:jwtIssuer is not/],
    [{ [CONTEXT_KEYS.jwtIssuer]: 'http://id.example.com', [CONTEXT_KEYS.jwtAudience]: 'app' }, /must be an https URL/],
    [{ [CONTEXT_KEYS.jwtIssuer]: 'id.example.com', [CONTEXT_KEYS.jwtAudience]: 'app' }, /must be an https URL/],
    [{ [CONTEXT_KEYS.jwtIssuer]: 'https://id.example.com/?x=1', [CONTEXT_KEYS.jwtAudience]: 'app' }, /without query/],
    [{ [CONTEXT_KEYS.jwtIssuer]: 'https://id.example.com', [CONTEXT_KEYS.jwtAudience]: [1] }, /must be strings/],
  ] as const)('identity provider settings %j are refused', ([ctx, message]) => {
    fails(ctx, message);
  });

  it.for([
    ['bkv', true], ['a', true], ['prod-vault-2', true], ['a234567890123456789x', true],
    ['a2345678901234567890x', false], ['Bkv', false], ['1bkv', false], ['bkv_x', false], ['', true],
  ] as const)('name %j accepted: %s', ([name, ok]) => {
    const ctx = { [CONTEXT_KEYS.name]: name };
    if (ok) expect(from(ctx).name).toBe(name === '' ? 'bkv' : name);
    else fails(ctx, /bkv:name must be 1-20 characters/);
  });

  it('checks the alarm e-mail address', () => {
    expect(from({ [CONTEXT_KEYS.alarmEmail]: 'ops@example.com' }).alarmEmail).toBe('ops@example.com');
    fails({ [CONTEXT_KEYS.alarmEmail]: 'ops' }, /bkv:alarmEmail must be an e-mail address/);
  });
});

describe('sign-in and browser settings', () => {
  it.for([
    [{ 'bkv:selfSignUp': 'yes' }, /bkv:selfSignUp must be true or false/],
    [{ 'bkv:corsOrigins': '*' }, /"\*" is not an origin/],
    [{ 'bkv:corsOrigins': 'http://app.example.com' }, /is not an origin/],
    [{ 'bkv:corsOrigins': 'https://app.example.com/path' }, /is not an origin/],
    [{ 'bkv:signInClientId': 'x' }, /is for your own provider/],
    [{ 'bkv:jwtIssuer': 'https://i.example/', 'bkv:jwtAudience': 'a', 'bkv:selfSignUp': true }, /apply to the Cognito default only/],
    [{ 'bkv:jwtIssuer': 'https://i.example/', 'bkv:jwtAudience': 'a', 'bkv:signInClientId': 'c', 'bkv:signInCallback': 'localhost:80' }, /bkv:signInCallback must be/],
    [{ 'bkv:jwtIssuer': 'https://i.example/', 'bkv:jwtAudience': 'a', 'bkv:signInClientId': 'c', 'bkv:signInBearer': 'refresh_token' }, /access_token or id_token/],
    [{ 'bkv:cognitoDomainPrefix': 'my-cognito' }, /without aws, amazon or cognito/],
  ] as const)('%j is refused', ([ctx, message]) => fails(ctx, message));

  it('takes exact origins and the Google settings of docs/deploy.md', () => {
    expect(from({ 'bkv:corsOrigins': ['https://app.example.com', 'http://localhost:5173'] }).corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    const google = from({
      'bkv:jwtIssuer': 'https://accounts.google.com', 'bkv:jwtAudience': '123.apps.googleusercontent.com',
      'bkv:signInClientId': '123.apps.googleusercontent.com', 'bkv:signInScopes': 'openid email', 'bkv:signInBearer': 'id_token',
      'bkv:signInParams': '{"access_type":"offline","prompt":"consent"}',
    });
    expect(google.signIn).toEqual({
      clientId: '123.apps.googleusercontent.com', scopes: ['openid', 'email'], bearer: 'id_token',
      redirect: { host: '127.0.0.1', ports: [] }, authorizationParams: { access_type: 'offline', prompt: 'consent' },
    });
  });
});

describe('realm settings', () => {
  const set = { threshold: 2, realms: [1, 2, 3].map((i) => ({ id: Buffer.concat([Buffer.alloc(15), Buffer.of(i)]).toString('base64url'), url: `https://r${i}.example`, publicKey: Buffer.alloc(32, i).toString('base64url') })) };
  it('takes a 16-byte realm id and a realm set as json, refuses anything else', () => {
    expect(from({ 'bkv:realmId': 'AAAAAAAAAAAAAAAAAAAAAg' }).realmId).toBe('AAAAAAAAAAAAAAAAAAAAAg');
    expect(JSON.parse(from({ 'bkv:realmSet': JSON.stringify(set) }).realmSet!)).toEqual(set);
    expect(() => from({ 'bkv:realmId': 'AAAA' })).toThrow(/bkv:realmId/);
    expect(() => from({ 'bkv:realmSet': JSON.stringify({ ...set, threshold: 4 }) })).toThrow(/bkv:realmSet/);
    expect(() => from({ 'bkv:realmSet': '{' })).toThrow(/bkv:realmSet must be json/);
  });
});
