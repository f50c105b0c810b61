// The route table: the single source of truth for every HTTP route's method, path, Lambda entry and the
// permissions its function gets. The CDK app (lib/), the local runtime (local/) and docs/protocol.md follow it.

import type { SealPurpose } from './ports.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

export interface RoutePermissions {
  /** Vault table access. */
  table?: 'read' | 'write';
  /** KMS encryption-context purposes the function may seal (Encrypt) and unseal (Decrypt). */
  seal?: readonly SealPurpose[];
  unseal?: readonly SealPurpose[];
  /**
   * Backup bucket access under the `accounts/` prefix: 'read' = GetObject (HeadObject, presigned GET);
   * 'write' = PutObject and multipart create/upload/complete (presigned PUTs); 'delete' = DeleteObject and
   * AbortMultipartUpload; 'list' = ListBucket and ListBucketMultipartUploads.
   */
  bucket?: readonly ('read' | 'write' | 'delete' | 'list')[];
}

export interface RouteSpec {
  id: string;
  method: HttpMethod;
  /** API Gateway path syntax: `/v1/backups/{backupId}`. */
  path: string;
  /** Lambda entry file (repo-relative) and the name of its exported handler. */
  entry: string;
  handler: string;
  permissions: RoutePermissions;
}

const VAULT_ENTRY = 'functions/handlers/vault.ts';
const BACKUPS_ENTRY = 'functions/handlers/backups.ts';

export const ROUTES: readonly RouteSpec[] = [
  {
    id: 'vault.registrationStart', method: 'POST', path: '/v1/vault/registration/start', entry: VAULT_ENTRY, handler: 'registrationStart',
    permissions: { table: 'read', unseal: ['server-setup'] },
  },
  {
    id: 'vault.registrationFinish', method: 'POST', path: '/v1/vault/registration/finish', entry: VAULT_ENTRY, handler: 'registrationFinish',
    permissions: { table: 'write', seal: ['opaque-record', 'sealed-key'] },
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
    permissions: { table: 'read' },
  },
  {
    id: 'vault.delete', method: 'DELETE', path: '/v1/vault', entry: VAULT_ENTRY, handler: 'remove',
    // `?backups=true` also deletes the account's backups.
    permissions: { table: 'write', bucket: ['list', 'delete'] },
  },
  {
    id: 'backups.create', method: 'POST', path: '/v1/backups', entry: BACKUPS_ENTRY, handler: 'create',
    // Also aborts the account's stale uploads.
    permissions: { table: 'write', bucket: ['write', 'list', 'delete'] },
  },
  {
    id: 'backups.complete', method: 'POST', path: '/v1/backups/{backupId}/complete', entry: BACKUPS_ENTRY, handler: 'complete',
    // Checks the object's size, deletes a mismatch and the backups beyond retention.
    permissions: { table: 'write', bucket: ['read', 'write', 'delete'] },
  },
  {
    id: 'backups.list', method: 'GET', path: '/v1/backups', entry: BACKUPS_ENTRY, handler: 'list',
    permissions: { table: 'read' },
  },
  {
    id: 'backups.get', method: 'GET', path: '/v1/backups/{backupId}', entry: BACKUPS_ENTRY, handler: 'get',
    permissions: { table: 'read', bucket: ['read'] },
  },
  {
    id: 'backups.delete', method: 'DELETE', path: '/v1/backups/{backupId}', entry: BACKUPS_ENTRY, handler: 'remove',
    permissions: { table: 'write', bucket: ['delete'] },
  },
];

export function routeById(id: string): RouteSpec {
  const route = ROUTES.find((r) => r.id === id);
  if (!route) throw new Error(`unknown route ${id}`);
  return route;
}

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
