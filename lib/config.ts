// Deployment settings from CDK context (cdk.json or `-c key=value`), validated at synth time with clear errors.
// Pure: takes a context getter, returns a frozen BkvConfig or throws ConfigError. Region sets follow DynamoDB
// multi-Region strong consistency (MRSC): two serving regions plus a witness, all in one region set.

import { decodeBase64url } from '../protocol/base64url.js';
import { REALM_ID_BYTES } from '../protocol/realm/constants.js';
import { RealmSetResponse } from '../protocol/realm/schemas.js';
import { isBkvError } from '../protocol/errors.js';
import { SignInConfig } from '../protocol/sign-in.js';
import { DELETED_RETENTION_DAYS, intSetting, MAX_ATTEMPTS, REPO_QUOTA_BYTES, type IntBounds } from '../protocol/settings.js';
import { SETTINGS } from '../protocol/env.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** DynamoDB MRSC region sets: every region of a deployment must come from one set. */
export const MRSC_REGION_SETS: Readonly<Record<string, readonly string[]>> = {
  US: ['us-east-1', 'us-east-2', 'us-west-2'],
  EU: ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  AP: ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
};

export interface Regions {
  /** Serves the API; holds the primary KMS keys, the table's CloudFormation resource and the source bucket. */
  primary: string;
  /** Serves the API; holds replica keys, a table replica and the replication destination bucket. */
  replica: string;
  /** DynamoDB MRSC witness: takes part in the write quorum, serves nothing. */
  witness: string;
}

export interface BkvConfig {
  /** Prefix of every physical name (stacks, table, buckets, roles, aliases). */
  name: string;
  regions: Regions;
  maxAttempts: number;
  /** Bytes a repository may hold per account (reserved at upload time; docs/protocol.md "Usage and quota"). */
  repoQuotaBytes: number;
  /** Days a deleted repository object stays recoverable (S3 noncurrent-version expiration; `bkv undelete`). */
  deletedRetentionDays: number;
  /**
   * S3 Object Lock default retention on the backup buckets for `deletedRetentionDays` (docs/deploy.md "Deleted
   * objects"): governance (removable by principals with s3:BypassGovernanceRetention) or compliance (by nobody,
   * the AWS account's root included, until it ends). Absent: no Object Lock. Only at bucket creation.
   */
  objectLockMode?: 'governance' | 'compliance';
  /** Trusted identity provider; when absent the app creates a Cognito user pool. */
  jwt?: { issuer: string; audience: string[] };
  /** Alarm notifications by e-mail (one SNS topic per serving region); none when absent. */
  alarmEmail?: string;
  /** Cognito only: anyone may create an account (off by default: abuse and cost, docs/deploy.md). */
  selfSignUp: boolean;
  /** Cognito only: the managed login domain's prefix (`<prefix>.auth.<region>.amazoncognito.com`). */
  cognitoDomainPrefix?: string;
  /** Browser origins allowed by CORS on the API and the buckets; none by default. */
  corsOrigins: string[];
  /** With `jwt`: how clients sign in at that provider (`GET /v1/auth`); see docs/deploy.md per provider. */
  signIn?: Omit<SignInConfig, 'issuer' | 'audience'>;
  /** This deployment's id as one realm of a realm set (16 bytes, unpadded base64url; docs/deploy.md "Realms"). */
  realmId: string;
  /** The realm set this deployment publishes at `GET /v1/realms` (JSON of protocol/realm/schemas.ts), if any. */
  realmSet?: string;
}

/** Bounds of the per-account repository quota (protocol/settings.ts). */
export const REPO_QUOTA_LIMITS = REPO_QUOTA_BYTES;

export const CONTEXT_KEYS = {
  name: 'bkv:name',
  regions: 'bkv:regions',
  maxAttempts: SETTINGS.maxAttempts.context,
  repoQuotaBytes: SETTINGS.repoQuotaBytes.context,
  deletedRetentionDays: SETTINGS.deletedRetentionDays.context,
  objectLockMode: 'bkv:objectLockMode',
  jwtIssuer: 'bkv:jwtIssuer',
  jwtAudience: 'bkv:jwtAudience',
  alarmEmail: 'bkv:alarmEmail',
  selfSignUp: 'bkv:selfSignUp',
  cognitoDomainPrefix: 'bkv:cognitoDomainPrefix',
  corsOrigins: 'bkv:corsOrigins',
  signInClientId: 'bkv:signInClientId',
  signInScopes: 'bkv:signInScopes',
  signInBearer: 'bkv:signInBearer',
  signInCallback: 'bkv:signInCallback',
  signInParams: 'bkv:signInParams',
  realmId: SETTINGS.realmId.context,
  realmSet: SETTINGS.realmSet.context,
} as const;

export const DEFAULTS = {
  name: 'bkv',
  regions: { primary: 'us-east-1', replica: 'us-east-2', witness: 'us-west-2' },
  maxAttempts: MAX_ATTEMPTS.default,
  repoQuotaBytes: REPO_QUOTA_BYTES.default,
  deletedRetentionDays: DELETED_RETENTION_DAYS.default,
  selfSignUp: false,
  corsOrigins: [],
  /** Realm 1 (fifteen zero bytes and a one). */
  realmId: 'AAAAAAAAAAAAAAAAAAAAAQ',
} as const satisfies Omit<BkvConfig, 'jwt' | 'corsOrigins'> & { corsOrigins: readonly string[] };

export type ContextGetter = (key: string) => unknown;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const NAME = /^[a-z][a-z0-9-]{0,19}$/;

/** protocol/settings.ts's parser, its refusal as a ConfigError naming the value. */
function integer(key: string, value: unknown, bounds: IntBounds): number {
  try {
    return intSetting(key, value, bounds);
  } catch (e) {
    if (isBkvError(e)) throw new ConfigError(`${e.message}, got ${JSON.stringify(value)}`);
    throw e;
  }
}

function optionalString(key: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${key} must be a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

/** Accepts {primary, replica, witness}, its JSON, or "primary,replica,witness". */
export function parseRegions(value: unknown): Regions {
  const key = CONTEXT_KEYS.regions;
  if (value === undefined || value === null || value === '') return { ...DEFAULTS.regions };
  let raw: unknown = value;
  if (typeof raw === 'string') {
    const s = raw.trim();
    if (s.startsWith('{')) {
      try {
        raw = JSON.parse(s);
      } catch {
        throw new ConfigError(`${key} is not valid JSON`);
      }
    } else {
      const parts = s.split(',').map((p) => p.trim());
      if (parts.length !== 3) throw new ConfigError(`${key} must be "primary,replica,witness" (three regions), got "${s}"`);
      raw = { primary: parts[0], replica: parts[1], witness: parts[2] };
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(`${key} must be an object {primary, replica, witness}`);
  }
  const r = raw as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => !['primary', 'replica', 'witness'].includes(k));
  if (extra.length > 0) throw new ConfigError(`${key} has unknown field(s): ${extra.join(', ')}`);
  const regions: Partial<Regions> = {};
  for (const role of ['primary', 'replica', 'witness'] as const) {
    const v = r[role];
    if (typeof v !== 'string' || !REGION.test(v)) {
      throw new ConfigError(`${key}.${role} must be an AWS region name like us-east-1, got ${JSON.stringify(v)}`);
    }
    regions[role] = v;
  }
  const { primary, replica, witness } = regions as Regions;
  if (new Set([primary, replica, witness]).size !== 3) {
    throw new ConfigError(`${key}: primary, replica and witness must be three different regions`);
  }
  const set = Object.entries(MRSC_REGION_SETS).find(([, rs]) => rs.includes(primary));
  if (!set) {
    throw new ConfigError(
      `${key}.primary ${primary} does not support DynamoDB multi-Region strong consistency; ` +
      `use one of: ${Object.values(MRSC_REGION_SETS).flat().join(', ')}`,
    );
  }
  for (const [role, region] of [['replica', replica], ['witness', witness]] as const) {
    if (!set[1].includes(region)) {
      throw new ConfigError(`${key}.${role} ${region} is not in the ${set[0]} MRSC region set of ${primary} (${set[1].join(', ')})`);
    }
  }
  return { primary, replica, witness };
}

function parseJwt(issuerValue: unknown, audienceValue: unknown): BkvConfig['jwt'] {
  const issuer = optionalString(CONTEXT_KEYS.jwtIssuer, issuerValue);
  let audience: string[] | undefined;
  if (Array.isArray(audienceValue)) {
    if (!audienceValue.every((a) => typeof a === 'string')) throw new ConfigError(`${CONTEXT_KEYS.jwtAudience} must be strings`);
    audience = audienceValue.map((a: string) => a.trim()).filter((a) => a !== '');
  } else {
    const s = optionalString(CONTEXT_KEYS.jwtAudience, audienceValue);
    audience = s === undefined ? undefined : s.split(',').map((a) => a.trim()).filter((a) => a !== '');
  }
  if (issuer === undefined && (audience === undefined || audience.length === 0)) return undefined;
  if (issuer === undefined) throw new ConfigError(`${CONTEXT_KEYS.jwtAudience} is set but ${CONTEXT_KEYS.jwtIssuer} is not: set both or neither`);
  if (audience === undefined || audience.length === 0) {
    throw new ConfigError(`${CONTEXT_KEYS.jwtIssuer} is set but ${CONTEXT_KEYS.jwtAudience} is not: set both or neither`);
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(`${CONTEXT_KEYS.jwtIssuer} must be an https URL, got "${issuer}"`);
  }
  if (url.protocol !== 'https:' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError(`${CONTEXT_KEYS.jwtIssuer} must be an https URL without query, fragment or credentials, got "${issuer}"`);
  }
  return { issuer, audience };
}

function parseBoolean(key: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null || value === '') return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ConfigError(`${key} must be true or false, got ${JSON.stringify(value)}`);
}

function stringList(key: string, value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!items || !items.every((i) => typeof i === 'string')) throw new ConfigError(`${key} must be a comma-separated list`);
  return items.map((i: string) => i.trim()).filter((i) => i !== '');
}

/** Exact origins (`https://app.example.com`, `http://localhost:5173`); never `*`. */
function parseOrigins(value: unknown): string[] {
  const origins = stringList(CONTEXT_KEYS.corsOrigins, value);
  for (const o of origins) {
    let url: URL | undefined;
    try {
      url = new URL(o);
    } catch {
      url = undefined;
    }
    const local = url?.hostname === 'localhost' || url?.hostname === '127.0.0.1';
    if (!url || url.origin !== o || !(url.protocol === 'https:' || (url.protocol === 'http:' && local))) {
      throw new ConfigError(`${CONTEXT_KEYS.corsOrigins}: "${o}" is not an origin (https://host[:port], or http://localhost:port); "*" is not allowed`);
    }
  }
  return origins;
}

/** `127.0.0.1` (any port) or `localhost:45817,45818` (exact ports, as Cognito, Auth0 and Okta match them). */
function parseCallback(value: unknown): SignInConfig['redirect'] {
  const raw = optionalString(CONTEXT_KEYS.signInCallback, value) ?? '127.0.0.1';
  const m = /^(127\.0\.0\.1|localhost)(?::([\d,]+))?$/.exec(raw);
  const ports = m?.[2] ? m[2].split(',').map(Number) : [];
  if (!m || ports.some((p) => !Number.isInteger(p) || p < 1024 || p > 65535) || ports.length > 10) {
    throw new ConfigError(`${CONTEXT_KEYS.signInCallback} must be "127.0.0.1" or "localhost:PORT[,PORT…]" (1024-65535), got "${raw}"`);
  }
  return { host: m[1] as '127.0.0.1' | 'localhost', ports };
}

function parseSignIn(get: ContextGetter, jwt: BkvConfig['jwt']): BkvConfig['signIn'] {
  const clientId = optionalString(CONTEXT_KEYS.signInClientId, get(CONTEXT_KEYS.signInClientId));
  if (!jwt) {
    if (clientId) throw new ConfigError(`${CONTEXT_KEYS.signInClientId} is for your own provider (${CONTEXT_KEYS.jwtIssuer}); the Cognito default makes its own client`);
    return undefined;
  }
  if (!clientId) return undefined;
  const scopes = stringList(CONTEXT_KEYS.signInScopes, (get(CONTEXT_KEYS.signInScopes) as string | undefined)?.toString().replace(/ /g, ','));
  const bearer = optionalString(CONTEXT_KEYS.signInBearer, get(CONTEXT_KEYS.signInBearer)) ?? 'access_token';
  if (bearer !== 'access_token' && bearer !== 'id_token') throw new ConfigError(`${CONTEXT_KEYS.signInBearer} must be access_token or id_token, got "${bearer}"`);
  let params: unknown = get(CONTEXT_KEYS.signInParams);
  if (typeof params === 'string' && params.trim() !== '') {
    try {
      params = JSON.parse(params);
    } catch {
      throw new ConfigError(`${CONTEXT_KEYS.signInParams} is not valid JSON`);
    }
  }
  const signIn = {
    clientId, scopes: scopes.length > 0 ? scopes : ['openid', 'offline_access'], bearer,
    redirect: parseCallback(get(CONTEXT_KEYS.signInCallback)),
    ...(params && params !== '' ? { authorizationParams: params } : {}),
  };
  const checked = SignInConfig.safeParse({ ...signIn, issuer: jwt.issuer, audience: jwt.audience[0] });
  if (!checked.success) throw new ConfigError(`sign-in settings are invalid: ${checked.error.issues[0]?.path.join('.')} ${checked.error.issues[0]?.message}`);
  const { issuer: _i, audience: _a, ...rest } = checked.data;
  return rest;
}

export function parseConfig(get: ContextGetter): BkvConfig {
  const name = optionalString(CONTEXT_KEYS.name, get(CONTEXT_KEYS.name)) ?? DEFAULTS.name;
  if (!NAME.test(name)) {
    throw new ConfigError(`${CONTEXT_KEYS.name} must be 1-20 characters of a-z, 0-9 and '-', starting with a letter, got "${name}"`);
  }
  const alarmEmail = optionalString(CONTEXT_KEYS.alarmEmail, get(CONTEXT_KEYS.alarmEmail));
  if (alarmEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) {
    throw new ConfigError(`${CONTEXT_KEYS.alarmEmail} must be an e-mail address, got "${alarmEmail}"`);
  }
  const jwt = parseJwt(get(CONTEXT_KEYS.jwtIssuer), get(CONTEXT_KEYS.jwtAudience));
  const signIn = parseSignIn(get, jwt);
  const selfSignUp = parseBoolean(CONTEXT_KEYS.selfSignUp, get(CONTEXT_KEYS.selfSignUp), DEFAULTS.selfSignUp);
  const cognitoDomainPrefix = optionalString(CONTEXT_KEYS.cognitoDomainPrefix, get(CONTEXT_KEYS.cognitoDomainPrefix));
  if (cognitoDomainPrefix !== undefined && (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(cognitoDomainPrefix) || /aws|amazon|cognito/.test(cognitoDomainPrefix))) {
    throw new ConfigError(`${CONTEXT_KEYS.cognitoDomainPrefix} must be 1-63 of a-z, 0-9 and '-' without aws, amazon or cognito, got "${cognitoDomainPrefix}"`);
  }
  if (jwt && (selfSignUp || cognitoDomainPrefix)) {
    throw new ConfigError(`${CONTEXT_KEYS.selfSignUp} and ${CONTEXT_KEYS.cognitoDomainPrefix} apply to the Cognito default only, not with ${CONTEXT_KEYS.jwtIssuer}`);
  }
  const objectLockMode = optionalString(CONTEXT_KEYS.objectLockMode, get(CONTEXT_KEYS.objectLockMode));
  if (objectLockMode !== undefined && objectLockMode !== 'governance' && objectLockMode !== 'compliance') {
    throw new ConfigError(`${CONTEXT_KEYS.objectLockMode} must be governance or compliance, got "${objectLockMode}"`);
  }
  const config: BkvConfig = {
    name,
    regions: parseRegions(get(CONTEXT_KEYS.regions)),
    maxAttempts: integer(CONTEXT_KEYS.maxAttempts, get(CONTEXT_KEYS.maxAttempts), MAX_ATTEMPTS),
    repoQuotaBytes: integer(CONTEXT_KEYS.repoQuotaBytes, get(CONTEXT_KEYS.repoQuotaBytes), REPO_QUOTA_BYTES),
    deletedRetentionDays: integer(CONTEXT_KEYS.deletedRetentionDays, get(CONTEXT_KEYS.deletedRetentionDays), DELETED_RETENTION_DAYS),
    ...(objectLockMode ? { objectLockMode } : {}),
    ...(jwt ? { jwt } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    selfSignUp,
    ...(cognitoDomainPrefix ? { cognitoDomainPrefix } : {}),
    corsOrigins: parseOrigins(get(CONTEXT_KEYS.corsOrigins)),
    ...(signIn ? { signIn } : {}),
    realmId: parseRealmIdContext(get(CONTEXT_KEYS.realmId)),
    ...parseRealmSetContext(get(CONTEXT_KEYS.realmSet)),
  };
  return Object.freeze(config);
}

/** The regions that run the API, primary first. */
export function servingRegions(config: BkvConfig): [string, string] {
  return [config.regions.primary, config.regions.replica];
}

function parseRealmIdContext(raw: unknown): string {
  const id = optionalString(CONTEXT_KEYS.realmId, raw) ?? DEFAULTS.realmId;
  const bytes = decodeBase64url(id);
  if (!bytes || bytes.length !== REALM_ID_BYTES) throw new ConfigError(`${CONTEXT_KEYS.realmId} must be 16 bytes of unpadded base64url, got "${id}"`);
  return id;
}

function parseRealmSetContext(raw: unknown): { realmSet?: string } {
  const text = typeof raw === 'object' && raw !== null ? JSON.stringify(raw) : optionalString(CONTEXT_KEYS.realmSet, raw);
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${CONTEXT_KEYS.realmSet} must be json`);
  }
  const parsed = RealmSetResponse.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${CONTEXT_KEYS.realmSet} is not a realm set: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return { realmSet: JSON.stringify(parsed.data) };
}
