// Deployment settings from CDK context (cdk.json or `-c key=value`), validated at synth time with clear errors.
// Pure: takes a context getter, returns a frozen BkvConfig or throws ConfigError. Region sets follow DynamoDB
// multi-Region strong consistency (MRSC): two serving regions plus a witness, all in one region set.

import { isBkvError } from '../protocol/errors.js';
import { intSetting, MAX_ATTEMPTS, REPO_QUOTA_BYTES, type IntBounds } from '../protocol/settings.js';

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
  /** Trusted identity provider; when absent the app creates a Cognito user pool. */
  jwt?: { issuer: string; audience: string[] };
  /** Alarm notifications by e-mail (one SNS topic per serving region); none when absent. */
  alarmEmail?: string;
}

/** Bounds of the per-account repository quota (protocol/settings.ts). */
export const REPO_QUOTA_LIMITS = REPO_QUOTA_BYTES;

export const CONTEXT_KEYS = {
  name: 'bkv:name',
  regions: 'bkv:regions',
  maxAttempts: 'bkv:maxAttempts',
  repoQuotaBytes: 'bkv:repoQuotaBytes',
  jwtIssuer: 'bkv:jwtIssuer',
  jwtAudience: 'bkv:jwtAudience',
  alarmEmail: 'bkv:alarmEmail',
} as const;

export const DEFAULTS = {
  name: 'bkv',
  regions: { primary: 'us-east-1', replica: 'us-east-2', witness: 'us-west-2' },
  maxAttempts: MAX_ATTEMPTS.default,
  repoQuotaBytes: REPO_QUOTA_BYTES.default,
} as const satisfies Omit<BkvConfig, 'jwt'>;

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
  const config: BkvConfig = {
    name,
    regions: parseRegions(get(CONTEXT_KEYS.regions)),
    maxAttempts: integer(CONTEXT_KEYS.maxAttempts, get(CONTEXT_KEYS.maxAttempts), MAX_ATTEMPTS),
    repoQuotaBytes: integer(CONTEXT_KEYS.repoQuotaBytes, get(CONTEXT_KEYS.repoQuotaBytes), REPO_QUOTA_BYTES),
    ...(jwt ? { jwt } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
  };
  return Object.freeze(config);
}

/** The regions that run the API, primary first. */
export function servingRegions(config: BkvConfig): [string, string] {
  return [config.regions.primary, config.regions.replica];
}
