// The route table: the single source of truth for every HTTP route's method, path, Lambda entry and the
// permissions and settings its function gets. The CDK app (lib/), the local runtime (local/) and docs/protocol.md
// follow it. Declared `as const`, so route ids are a type (RouteId): each entry's implementation map must have
// exactly its routes (functions/vault/routes.ts, functions/repo/routes.ts), and lib/route-entries.ts makes the
// compiler check that each named handler is exported by its entry module.

import type { SealPurpose } from './ports.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RoutePermissions {
  /** Vault table access. */
  table?: 'read' | 'write';
  /** KMS encryption-context purposes the function may seal (Encrypt) and unseal (Decrypt). */
  seal?: readonly SealPurpose[];
  unseal?: readonly SealPurpose[];
  /**
   * Bucket access under the `accounts/` prefix: 'read' = GetObject (HeadObject, presigned GET); 'write' =
   * PutObject (presigned PUTs); 'delete' = DeleteObject (also DeleteObjects); 'list' = ListBucket with an
   * `s3:prefix` of `accounts/*`; 'undelete' = ListBucketVersions (same prefix condition) and DeleteObjectVersion
   * (removing a delete marker; with Object Lock a protected version itself cannot be removed).
   */
  bucket?: readonly ('read' | 'write' | 'delete' | 'list' | 'undelete')[];
  /** kms:GenerateMac on the realm key: the seed of this realm's registration key pair (docs/deploy.md "Realms"). */
  realmKey?: boolean;
}

/** Deployment settings a route's function reads from its environment (lib/constructs/vault-api.ts sets them). */
export type RouteSetting = 'maxAttempts' | 'repoQuotaBytes' | 'signIn' | 'realmId' | 'realmSet';

export const VAULT_ENTRY = 'functions/handlers/vault.ts';
export const REPO_ENTRY = 'functions/handlers/repo.ts';
export const AUTH_ENTRY = 'functions/handlers/auth.ts';
export const REALM_ENTRY = 'functions/handlers/realm.ts';
/** The Lambda entry files of the routes (repo-relative); lib/route-entries.ts checks their exports at compile time. */
export type HandlerEntry = typeof VAULT_ENTRY | typeof REPO_ENTRY | typeof AUTH_ENTRY | typeof REALM_ENTRY;

export interface RouteSpec<Id extends string = string> {
  id: Id;
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/repo/locks/{lockId}`. */
  path: string;
  /** Lambda entry file and the name of its exported handler. */
  entry: HandlerEntry;
  handler: string;
  permissions: RoutePermissions;
  /** Settings the function reads; a setting not named here is not set, and the function must not need it. */
  settings?: readonly RouteSetting[];
  /**
   * Who may call it: `jwt` (the default) behind the JWT authorizer in AWS and the local verifier; `none` for the
   * one route a client calls before it has a token (sign-in discovery). Such a route must take no account.
   */
  auth?: 'jwt' | 'none';
}

const TABLE = [
  {
    id: 'vault.registrationStart', method: 'POST', path: '/v1/vault/registration/start', entry: VAULT_ENTRY, handler: 'registrationStart',
    permissions: { table: 'read', unseal: ['server-setup'] },
  },
  {
    id: 'vault.registrationFinish', method: 'POST', path: '/v1/vault/registration/finish', entry: VAULT_ENTRY, handler: 'registrationFinish',
    // The guess limit is recorded in the vault at registration.
    permissions: { table: 'write', seal: ['opaque-record', 'sealed-key'] }, settings: ['maxAttempts'],
  },
  {
    id: 'vault.loginStart', method: 'POST', path: '/v1/vault/login/start', entry: VAULT_ENTRY, handler: 'loginStart',
    permissions: { table: 'write', seal: ['login-state'], unseal: ['server-setup', 'opaque-record'] },
  },
  {
    id: 'vault.loginFinish', method: 'POST', path: '/v1/vault/login/finish', entry: VAULT_ENTRY, handler: 'loginFinish',
    permissions: { table: 'write', unseal: ['login-state', 'sealed-key'] },
  },
  {
    id: 'vault.status', method: 'GET', path: '/v1/vault', entry: VAULT_ENTRY, handler: 'status',
    // An account without a vault is told the deployment's guess limit.
    permissions: { table: 'read' }, settings: ['maxAttempts'],
  },
  {
    id: 'vault.delete', method: 'DELETE', path: '/v1/vault', entry: VAULT_ENTRY, handler: 'remove',
    // `?backups=true` also deletes the account's repository (every object under its prefix, and its repo item).
    permissions: { table: 'write', bucket: ['list', 'delete'] },
  },
  {
    id: 'repo.status', method: 'GET', path: '/v1/repo', entry: REPO_ENTRY, handler: 'status',
    permissions: { table: 'read' }, settings: ['repoQuotaBytes'],
  },
  {
    id: 'repo.createConfig', method: 'POST', path: '/v1/repo/config', entry: REPO_ENTRY, handler: 'createConfig',
    // Records the config id (create-only), then presigns its PUT.
    permissions: { table: 'write', bucket: ['write'] },
  },
  {
    id: 'repo.uploads', method: 'POST', path: '/v1/repo/uploads', entry: REPO_ENTRY, handler: 'uploads',
    // Reserves the bytes against the quota, then presigns the PUTs.
    permissions: { table: 'write', bucket: ['write'] }, settings: ['repoQuotaBytes'],
  },
  {
    id: 'repo.downloads', method: 'POST', path: '/v1/repo/downloads', entry: REPO_ENTRY, handler: 'downloads',
    permissions: { bucket: ['read'] },
  },
  {
    id: 'repo.list', method: 'GET', path: '/v1/repo/objects', entry: REPO_ENTRY, handler: 'list',
    permissions: { bucket: ['list'] },
  },
  {
    id: 'repo.delete', method: 'POST', path: '/v1/repo/delete', entry: REPO_ENTRY, handler: 'remove',
    // Checks the exclusive lock, reads the real sizes (HeadObject), deletes, releases the usage.
    permissions: { table: 'write', bucket: ['read', 'delete'] },
  },
  {
    id: 'repo.undelete', method: 'POST', path: '/v1/repo/undelete', entry: REPO_ENTRY, handler: 'undelete',
    // Checks the exclusive lock, lists the versions (delete markers) and removes the markers made since the time;
    // a restored config id is recorded again; then recounts the usage from a listing.
    permissions: { table: 'write', bucket: ['list', 'undelete'] },
  },
  {
    id: 'repo.lock', method: 'POST', path: '/v1/repo/locks', entry: REPO_ENTRY, handler: 'lock',
    // An exclusive lock recounts the usage from a full listing.
    permissions: { table: 'write', bucket: ['list'] },
  },
  {
    id: 'repo.refresh', method: 'POST', path: '/v1/repo/locks/{lockId}/refresh', entry: REPO_ENTRY, handler: 'refresh',
    permissions: { table: 'write' },
  },
  {
    id: 'repo.unlock', method: 'DELETE', path: '/v1/repo/locks/{lockId}', entry: REPO_ENTRY, handler: 'unlock',
    permissions: { table: 'write' },
  },
  {
    id: 'auth.config', method: 'GET', path: '/v1/auth', entry: AUTH_ENTRY, handler: 'config',
    // What a client needs to sign in (issuer, client id, scopes, audience); unauthenticated, public, no account.
    permissions: {}, settings: ['signIn'], auth: 'none',
  },
  // The realm routes (docs/protocol.md "Realms"): this deployment as one realm of a t-of-n realm set. Only a counted
  // recovery start evaluates under a live share; registration evaluates nothing.
  {
    id: 'realm.register', method: 'POST', path: '/v1/realm/register', entry: REALM_ENTRY, handler: 'register',
    // Checks the dealt record, records min(allowedGuesses, maxAttempts), replaces everything.
    permissions: { table: 'write', seal: ['realm-record'], realmKey: true }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.status', method: 'GET', path: '/v1/realm', entry: REALM_ENTRY, handler: 'status',
    // Answers the realm's registration public key too (what operators put in the realm set; clients check their pin).
    permissions: { table: 'read', realmKey: true }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.recoveryStart', method: 'POST', path: '/v1/realm/recovery/start', entry: REALM_ENTRY, handler: 'recoveryStart',
    // Counts first (one conditional write), then unseals the share and evaluates it.
    permissions: { table: 'write', unseal: ['realm-record'] }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.recoveryFinish', method: 'POST', path: '/v1/realm/recovery/finish', entry: REALM_ENTRY, handler: 'recoveryFinish',
    permissions: { table: 'write', unseal: ['realm-record'] }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.delete', method: 'DELETE', path: '/v1/realm', entry: REALM_ENTRY, handler: 'remove',
    permissions: { table: 'write' }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.set', method: 'GET', path: '/v1/realms', entry: REALM_ENTRY, handler: 'realmSet',
    // The realm set this deployment publishes (ids, URLs, threshold); public, no account.
    permissions: {}, settings: ['realmSet'], auth: 'none',
  },
] as const satisfies readonly RouteSpec[];

/** One route of the table, with its literal id, entry and handler. */
export type Route = (typeof TABLE)[number];
export type RouteId = Route['id'];
/** The ids of the routes one entry file serves: the keys its implementation map must have, no more, no fewer. */
export type RouteIdOf<E extends HandlerEntry> = Extract<Route, { entry: E }>['id'];

export const ROUTES: readonly RouteSpec<RouteId>[] = TABLE;

/** Matches a concrete path against a route path; returns the path parameters or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] ?? '';
    const g = got[i] ?? '';
    if (w.startsWith('{') && w.endsWith('}')) {
      if (g === '') return undefined;
      try {
        params[w.slice(1, -1)] = decodeURIComponent(g);
      } catch {
        return undefined;
      }
    } else if (w !== g) {
      return undefined;
    }
  }
  return params;
}
