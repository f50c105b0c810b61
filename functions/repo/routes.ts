// The repository API's route implementations: parse → verify the signature (mutating routes) → service → reply.
// Mapping errors is respond()'s job.
// The account comes only from the token (accountOf); a lock id only from the path or body, checked by its pattern;
// object names only as `{type, id}` pairs checked by their patterns, never as keys.

import type { z } from 'zod';
import { BkvError } from '../../protocol/errors.js';
import {
  CreateConfigRequest, DEFAULT_LOCK_TTL_S, DeleteRequest, DownloadsRequest, LockId, LockRequestSchema, MAX_LIST_LIMIT, ObjectId, ObjectType,
  UndeleteRequest, UploadsRequest,
} from '../../protocol/repo-schemas.js';
import { accountOf, parseBody, queryFlag, type ApiEvent } from '../http/request.js';
import type { RouteImpl } from '../http/route.js';
import { ROUTES, type REPO_ENTRY, type RouteId, type RouteIdOf } from '../routes.js';
import { signedRequest, type SignedRequest } from './signatures.js';
import type { VaultDeleteHook } from '../vault/routes.js';
import type { RepoService } from './service.js';

/** The routes functions/handlers/repo.ts serves, from the route table: a missing or extra one does not compile. */
export type RepoRouteId = RouteIdOf<typeof REPO_ENTRY>;

const LIST_QUERY = new Set(['type', 'after', 'limit']);

function pathLockId(event: ApiEvent): string {
  const parsed = LockId.safeParse(event.pathParameters?.lockId);
  if (!parsed.success) throw new BkvError('bad-request', 'lockId: must be a lock id');
  return parsed.data;
}

function listQuery(event: ApiEvent): { type: z.infer<typeof ObjectType>; after?: string; limit: number } {
  const q = event.queryStringParameters ?? {};
  for (const name of Object.keys(q)) if (!LIST_QUERY.has(name)) throw new BkvError('bad-request', `${name}: unknown query parameter`);
  const type = ObjectType.safeParse(q.type);
  if (!type.success) throw new BkvError('bad-request', 'type: must be config, snapshots, index or data');
  let after: string | undefined;
  if (q.after !== undefined) {
    const parsed = ObjectId.safeParse(q.after);
    if (!parsed.success) throw new BkvError('bad-request', 'after: must be an object id');
    after = parsed.data;
  }
  let limit = MAX_LIST_LIMIT;
  if (q.limit !== undefined) {
    if (!/^\d{1,4}$/.test(q.limit) || Number(q.limit) < 1 || Number(q.limit) > MAX_LIST_LIMIT) {
      throw new BkvError('bad-request', `limit: must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    }
    limit = Number(q.limit);
  }
  return { type: type.data, limit, ...(after !== undefined ? { after } : {}) };
}

/** The signed parts of a request to route `id`: its method, and its path with the path parameters filled in. */
function signed(event: ApiEvent, id: RouteId): SignedRequest {
  const route = ROUTES.find((r) => r.id === id);
  if (!route) throw new Error(`no route ${id}`);
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(event.pathParameters?.[name] ?? ''));
  return signedRequest(event, id, route.method, path);
}

export function repoRoutes(repo: RepoService): Record<RepoRouteId, RouteImpl> {
  return {
    'repo.status': async (event) => {
      const account = accountOf(event);
      return { status: 200, body: await repo.status(account) };
    },
    'repo.createConfig': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, CreateConfigRequest);
      if (!('repositoryId' in body)) {
        await repo.verify(account, signed(event, 'repo.createConfig'), { signingKey: body.signingKey });
        return { status: 200, body: await repo.registerKey(account, body.signingKey) };
      }
      await repo.verify(account, signed(event, 'repo.createConfig'), { signingKey: body.signingKey, repositoryId: body.repositoryId });
      return { status: 201, body: await repo.createConfig(account, body.repositoryId, body.size, body.signingKey) };
    },
    'repo.uploads': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, UploadsRequest);
      await repo.verify(account, signed(event, 'repo.uploads'));
      return { status: 200, body: await repo.uploads(account, body.objects) };
    },
    'repo.downloads': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, DownloadsRequest);
      return { status: 200, body: await repo.downloads(account, body.objects) };
    },
    'repo.list': async (event) => {
      const account = accountOf(event);
      const q = listQuery(event);
      return { status: 200, body: await repo.list(account, q.type, q.after, q.limit) };
    },
    'repo.delete': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, DeleteRequest);
      await repo.verify(account, signed(event, 'repo.delete'));
      return { status: 200, body: await repo.delete(account, body.lockId, body.objects) };
    },
    'repo.undelete': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, UndeleteRequest);
      await repo.verify(account, signed(event, 'repo.undelete'));
      const scope = { ...(body.type !== undefined ? { type: body.type } : {}), ...(body.objects !== undefined ? { objects: body.objects } : {}) };
      return { status: 200, body: await repo.undelete(account, body.lockId, Date.parse(body.since), body.after, scope) };
    },
    'repo.lock': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, LockRequestSchema);
      await repo.verify(account, signed(event, 'repo.lock'));
      const lock = await repo.lock(account, {
        exclusive: body.exclusive, ttlSeconds: body.ttlSeconds ?? DEFAULT_LOCK_TTL_S,
        ...(body.description !== undefined ? { description: body.description } : {}),
      });
      return { status: 201, body: lock };
    },
    'repo.refresh': async (event) => {
      const account = accountOf(event);
      const lockId = pathLockId(event);
      await repo.verify(account, signed(event, 'repo.refresh'));
      return { status: 200, body: await repo.refresh(account, lockId) };
    },
    'repo.unlock': async (event) => {
      const account = accountOf(event);
      const lockId = pathLockId(event);
      await repo.verify(account, signed(event, 'repo.unlock'));
      await repo.unlock(account, lockId);
      return { status: 204 };
    },
  };
}

/**
 * The `DELETE /v1/vault` hook: with `?backups=true` the account's repository goes too (before the vault item), only
 * for a request signed with the repository's signing key (docs/protocol.md "Signed requests").
 * `service` is resolved only then, so vault functions without bucket settings never need them.
 */
export function deleteRepositoryHook(service: () => RepoService): VaultDeleteHook {
  return async (account, event) => {
    if (!queryFlag(event, 'backups')) return;
    await service().verify(account, signed(event, 'vault.delete'));
    await service().deleteAll(account);
  };
}
