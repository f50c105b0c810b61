// The storage API's route implementations: parse → service → reply. Mapping errors is respond()'s job.
// The account comes only from the token (accountOf); a backup id only from the path, checked by its pattern.

import { BackupId, BackupRef, CompleteBackupRequest, CreateBackupRequest } from '../../protocol/backups-schemas.js';
import { BkvError } from '../../protocol/errors.js';
import { accountOf, parseBody, queryFlag, type ApiEvent } from '../http/request.js';
import type { RouteImpl } from '../http/route.js';
import type { BACKUPS_ENTRY, RouteIdOf } from '../routes.js';
import type { VaultDeleteHook } from '../vault/routes.js';
import type { BackupsService } from './service.js';

/** The routes functions/handlers/backups.ts serves, from the route table: a missing or extra one does not compile. */
export type BackupsRouteId = RouteIdOf<typeof BACKUPS_ENTRY>;

function pathId<S extends typeof BackupId | typeof BackupRef>(event: ApiEvent, schema: S): string {
  const parsed = schema.safeParse(event.pathParameters?.backupId);
  if (!parsed.success) throw new BkvError('bad-request', 'backupId: must be a backup id');
  return parsed.data;
}

export function backupsRoutes(backups: BackupsService): Record<BackupsRouteId, RouteImpl> {
  return {
    'backups.create': async (event) => {
      const account = accountOf(event);
      const body = parseBody(event, CreateBackupRequest);
      return { status: 201, body: await backups.create(account, body.size) };
    },
    'backups.complete': async (event) => {
      const account = accountOf(event);
      const backupId = pathId(event, BackupId);
      const body = parseBody(event, CompleteBackupRequest);
      return { status: 200, body: await backups.complete(account, backupId, body.parts) };
    },
    'backups.list': async (event) => {
      const account = accountOf(event);
      return { status: 200, body: await backups.list(account) };
    },
    'backups.get': async (event) => {
      const account = accountOf(event);
      return { status: 200, body: await backups.get(account, pathId(event, BackupRef)) };
    },
    'backups.delete': async (event) => {
      const account = accountOf(event);
      await backups.delete(account, pathId(event, BackupId));
      return { status: 204 };
    },
  };
}

/**
 * The `DELETE /v1/vault` hook: with `?backups=true` the account's backups go too (before the vault item).
 * `service` is resolved only then, so vault functions without backup settings never need them.
 */
export function deleteBackupsHook(service: () => BackupsService): VaultDeleteHook {
  return async (account, event) => {
    if (queryFlag(event, 'backups')) await service().deleteAll(account);
  };
}
