// The names of the deployment's settings and of the functions' environment, declared once: lib/ (the CDK app sets
// them), functions/ (the Lambda handlers read them) and local/ (the local runtime reads its own) import them from
// here, so no name is spelled twice. One name per setting: its key (`repoQuotaBytes`) is the CDK context key after
// `bkv:`, its Lambda variable is the key in SCREAMING_SNAKE_CASE (`REPO_QUOTA_BYTES`), and the local runtime's
// variable is that with `BKV_` in front (`BKV_REPO_QUOTA_BYTES`); test/protocol/env.test.ts holds the table to
// that rule. Names users or operators once had and that still work are listed as aliases.

/** A deployment setting: where it may be set (CDK context, Lambda environment, local runtime environment). */
export interface SettingNames {
  /** `cdk.json` / `-c` context key; absent: not a deployment choice in AWS. */
  readonly context?: `bkv:${string}`;
  /** Lambda environment variable (set by lib/ from the context); absent: no function reads it. */
  readonly lambda?: string;
  /** The local runtime's environment variable (`npm start`); absent: not a setting of the local runtime. */
  readonly local?: `BKV_${string}`;
  /** Older names of the local runtime's variable, still read (with a warning) when the name above is not set. */
  readonly localAliases?: readonly string[];
  /** Older names of the Lambda variable, still read when the name above is not set. */
  readonly lambdaAliases?: readonly string[];
}

export const SETTINGS = {
  /** Guesses per registration (protocol/settings.ts MAX_ATTEMPTS). */
  maxAttempts: { context: 'bkv:maxAttempts', lambda: 'MAX_ATTEMPTS', local: 'BKV_MAX_ATTEMPTS' },
  /** Bytes a repository may hold per account (protocol/settings.ts REPO_QUOTA_BYTES). */
  repoQuotaBytes: {
    context: 'bkv:repoQuotaBytes', lambda: 'REPO_QUOTA_BYTES', local: 'BKV_REPO_QUOTA_BYTES',
    // local/main.ts's header once named it so (the runtime never read it): now it is read, with a warning.
    localAliases: ['BKV_MAX_BACKUP_BYTES'],
  },
  /** Lifetime of presigned URLs in seconds (protocol/settings.ts URL_TTL_SECONDS); not set by the CDK app. */
  urlTtlSeconds: { lambda: 'URL_TTL_SECONDS', local: 'BKV_URL_TTL_SECONDS', lambdaAliases: ['REPO_URL_TTL_SECONDS'] },
  /** Days a deleted repository object stays recoverable (protocol/settings.ts DELETED_RETENTION_DAYS); a bucket rule in AWS. */
  deletedRetentionDays: { context: 'bkv:deletedRetentionDays', local: 'BKV_DELETED_RETENTION_DAYS' },
  /** The discovery route's sign-in document (protocol/sign-in.ts), built by the CDK app. */
  signIn: { lambda: 'SIGN_IN' },
  /** This deployment's realm id (docs/protocol.md "Realms"). */
  realmId: { context: 'bkv:realmId', lambda: 'REALM_ID' },
  /** The realm set this deployment publishes. */
  realmSet: { context: 'bkv:realmSet', lambda: 'REALM_SET' },
} as const satisfies Record<string, SettingNames>;

export type SettingKey = keyof typeof SETTINGS;

/** Where a function finds its resources (set by lib/constructs' grant methods); not settings anyone chooses. */
export const RESOURCE_ENV = {
  vaultTable: 'VAULT_TABLE',
  /** A realm's own table, when it is not the vault table. */
  realmTable: 'REALM_TABLE',
  kmsKeyId: 'KMS_KEY_ID',
  backupBucket: 'BACKUP_BUCKET',
  /** A realm's KMS HMAC key, from which its registration key pair is derived (functions/adapters/kms-realm-key-seed.ts). */
  realmKeyId: 'REALM_KEY_ID',
} as const;

/**
 * The value of a setting in an environment: its own name first, then its aliases (first set wins); `warn` is told
 * when an alias was used. Absent or empty: undefined (the setting's default applies).
 */
export function settingFromEnv(
  env: Readonly<Record<string, string | undefined>>, name: string | undefined, aliases: readonly string[] = [], warn?: (message: string) => void,
): string | undefined {
  if (name !== undefined && env[name] !== undefined && env[name] !== '') return env[name];
  for (const alias of aliases) {
    const value = env[alias];
    if (value !== undefined && value !== '') {
      warn?.(`${alias} is an old name: set ${name ?? 'the setting'} instead`);
      return value;
    }
  }
  return undefined;
}
