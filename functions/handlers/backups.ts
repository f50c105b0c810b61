// Lambda entry of the storage routes (one NodejsFunction per route, each naming its export; see functions/routes.ts).
// Env: functions/backups/deps.ts. Importing this module builds nothing: the service and its adapters are built on
// the first call, once per cold start, from the environment the route's permissions gave the function.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorName } from '../adapters/aws-errors.js';
import { backupsServiceFromEnv } from '../backups/deps.js';
import { backupsRoutes, type BackupsRouteId } from '../backups/routes.js';
import type { ApiEvent } from '../http/request.js';
import { respond } from '../http/route.js';
import { once } from '../lazy.js';
import { logger, logOutcome } from '../observability.js';

const routes = once(() => backupsRoutes(backupsServiceFromEnv(process.env, (e) => {
  logger.warn('backup clean-up failed; retried on the next upload', { errorName: errorName(e) });
})));

const entry = (id: BackupsRouteId) => (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> =>
  respond(id, (e) => routes()[id](e), event, logOutcome);

export const create = entry('backups.create');
export const complete = entry('backups.complete');
export const list = entry('backups.list');
export const get = entry('backups.get');
export const remove = entry('backups.delete');
