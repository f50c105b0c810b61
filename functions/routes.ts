// The server's route table: each route of the wire table (protocol/routes.ts: id, method, path, schemas) extended,
// by the same id, with what only the server needs: its Lambda entry and handler, the permissions and settings its
// function gets, and who may call it. The CDK app (lib/), the local runtime (local/) and docs/protocol.md follow
// it. Declared `as const`, so route ids are a type (RouteId): each entry's implementation map must have exactly its
// routes (functions/vault/routes.ts, functions/repo/routes.ts), lib/route-entries.ts makes the compiler check that
// each named handler is exported by its entry module, and the compiler and test/functions/routes.test.ts check
// that every wire route has exactly one server route and every server route a wire route.

import { WIRE_ROUTES, type HttpMethod, type WireRouteId } from '../protocol/routes.js';
import type { SealPurpose } from './ports.js';

export type { HttpMethod } from '../protocol/routes.js';

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

/** What the server adds to a wire route (protocol/routes.ts), by its id. */
export interface ServerRouteSpec<Id extends string = string> {
  id: Id;
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

/** A whole route: the server's entry with the wire route's method and path (protocol/routes.ts). */
export interface RouteSpec<Id extends string = string> extends ServerRouteSpec<Id> {
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/repo/locks/{lockId}`. */
  path: string;
}

const TABLE = [
  {
    id: 'vault.registrationStart', entry: VAULT_ENTRY, handler: 'registrationStart',
    // Records the pending registration (UpdateItem: its id, the credential id drawn for it, its expiry).
    permissions: { table: 'write', unseal: ['server-setup'] },
  },
  {
    id: 'vault.registrationFinish', entry: VAULT_ENTRY, handler: 'registrationFinish',
    // The guess limit is recorded in the vault at registration.
    permissions: { table: 'write', seal: ['opaque-record', 'sealed-key'] }, settings: ['maxAttempts'],
  },
  {
    id: 'vault.loginStart', entry: VAULT_ENTRY, handler: 'loginStart',
    permissions: { table: 'write', seal: ['login-state'], unseal: ['server-setup', 'opaque-record'] },
  },
  {
    id: 'vault.loginFinish', entry: VAULT_ENTRY, handler: 'loginFinish',
    permissions: { table: 'write', unseal: ['login-state', 'sealed-key'] },
  },
  {
    id: 'vault.status', entry: VAULT_ENTRY, handler: 'status',
    // An account without a vault is told the deployment's guess limit.
    permissions: { table: 'read' }, settings: ['maxAttempts'],
  },
  {
    id: 'vault.delete', entry: VAULT_ENTRY, handler: 'remove',
    // `?backups=true` also deletes the account's repository (every object under its prefix, and its repo item).
    permissions: { table: 'write', bucket: ['list', 'delete'] },
  },
  {
    id: 'repo.status', entry: REPO_ENTRY, handler: 'status',
    permissions: { table: 'read' }, settings: ['repoQuotaBytes'],
  },
  {
    id: 'repo.createConfig', entry: REPO_ENTRY, handler: 'createConfig',
    // Records the config id (create-only), then presigns its PUT.
    permissions: { table: 'write', bucket: ['write'] },
  },
  {
    id: 'repo.uploads', entry: REPO_ENTRY, handler: 'uploads',
    // Reserves the bytes against the quota, then presigns the PUTs.
    permissions: { table: 'write', bucket: ['write'] }, settings: ['repoQuotaBytes'],
  },
  {
    id: 'repo.downloads', entry: REPO_ENTRY, handler: 'downloads',
    permissions: { bucket: ['read'] },
  },
  {
    id: 'repo.list', entry: REPO_ENTRY, handler: 'list',
    permissions: { bucket: ['list'] },
  },
  {
    id: 'repo.delete', entry: REPO_ENTRY, handler: 'remove',
    // Checks the exclusive lock, reads the real sizes (HeadObject), deletes, releases the usage.
    permissions: { table: 'write', bucket: ['read', 'delete'] },
  },
  {
    id: 'repo.undelete', entry: REPO_ENTRY, handler: 'undelete',
    // Checks the exclusive lock, lists the versions (delete markers) and removes the markers made since the time;
    // a restored config id is recorded again; then recounts the usage from a listing.
    permissions: { table: 'write', bucket: ['list', 'undelete'] },
  },
  {
    id: 'repo.lock', entry: REPO_ENTRY, handler: 'lock',
    // An exclusive lock recounts the usage from a full listing.
    permissions: { table: 'write', bucket: ['list'] },
  },
  {
    id: 'repo.refresh', entry: REPO_ENTRY, handler: 'refresh',
    permissions: { table: 'write' },
  },
  {
    id: 'repo.unlock', entry: REPO_ENTRY, handler: 'unlock',
    permissions: { table: 'write' },
  },
  {
    id: 'auth.config', entry: AUTH_ENTRY, handler: 'config',
    // What a client needs to sign in (issuer, client id, scopes, audience); unauthenticated, public, no account.
    permissions: {}, settings: ['signIn'], auth: 'none',
  },
  // The realm routes (docs/protocol.md "Realms"): this deployment as one realm of a t-of-n realm set. Only a counted
  // recovery start evaluates under a live share; registration evaluates nothing.
  {
    id: 'realm.register', entry: REALM_ENTRY, handler: 'register',
    // Checks the dealt record, records min(allowedGuesses, maxAttempts), replaces everything.
    permissions: { table: 'write', seal: ['realm-record'], realmKey: true }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.status', entry: REALM_ENTRY, handler: 'status',
    // Answers the realm's registration public key too (what operators put in the realm set; clients check their pin).
    permissions: { table: 'read', realmKey: true }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.recoveryStart', entry: REALM_ENTRY, handler: 'recoveryStart',
    // Counts first (one conditional write), then unseals the share and evaluates it.
    permissions: { table: 'write', unseal: ['realm-record'] }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.recoveryFinish', entry: REALM_ENTRY, handler: 'recoveryFinish',
    permissions: { table: 'write', unseal: ['realm-record'] }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.delete', entry: REALM_ENTRY, handler: 'remove',
    permissions: { table: 'write' }, settings: ['realmId', 'maxAttempts'],
  },
  {
    id: 'realm.set', entry: REALM_ENTRY, handler: 'realmSet',
    // The realm set this deployment publishes (ids, URLs, threshold); public, no account.
    permissions: {}, settings: ['realmSet'], auth: 'none',
  },
] as const satisfies readonly ServerRouteSpec<WireRouteId>[];

/** One route of the table, with its literal id, entry and handler. */
export type Route = (typeof TABLE)[number];
export type RouteId = Route['id'];
/** The ids of the routes one entry file serves: the keys its implementation map must have, no more, no fewer. */
export type RouteIdOf<E extends HandlerEntry> = Extract<Route, { entry: E }>['id'];

// A wire route without a server route does not compile (the ids of TABLE are checked against the wire ids above).
const everyWireRouteServed: [Exclude<WireRouteId, RouteId>] extends [never] ? true : { unserved: Exclude<WireRouteId, RouteId> } = true;
void everyWireRouteServed;

export const ROUTES: readonly RouteSpec<RouteId>[] = TABLE.map((r) => ({ ...r, method: WIRE_ROUTES[r.id].method, path: WIRE_ROUTES[r.id].path }));

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
