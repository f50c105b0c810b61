// Lambda entry of the storage routes (one NodejsFunction per route, each naming its export; see functions/routes.ts).
// Env: BACKUP_BUCKET, VAULT_TABLE, MAX_BACKUP_BYTES, BACKUP_RETENTION, BACKUP_URL_TTL_SECONDS and optionally
// BACKUP_FALLBACK_BUCKET/REGION (functions/backups/deps.ts). Adapters are built once per cold start.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorName } from '../adapters/aws-errors.js';
import { backupsServiceFromEnv } from '../backups/deps.js';
import { backupsRoutes, type BackupsRouteId } from '../backups/routes.js';
import type { ApiEvent } from '../http/request.js';
import { respond } from '../http/route.js';
import { logger, logOutcome } from '../observability.js';

const routes = backupsRoutes(backupsServiceFromEnv(process.env, (e) => {
  logger.warn('backup clean-up failed; retried on the next upload', { errorName: errorName(e) });
}));

const entry = (id: BackupsRouteId) => (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> =>
  respond(id, routes[id], event, logOutcome);

export const create = entry('backups.create');
export const complete = entry('backups.complete');
export const list = entry('backups.list');
export const get = entry('backups.get');
export const remove = entry('backups.delete');
