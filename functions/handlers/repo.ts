// Lambda entry of the repository routes (one NodejsFunction per route, each naming its export; see
// functions/routes.ts). Env: functions/repo/deps.ts. Importing this module builds nothing: the service and its
// adapters are built on the first call, once per cold start, from the environment the route's permissions gave it.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorName } from '../adapters/aws-errors.js';
import type { ApiEvent } from '../http/request.js';
import { respond } from '../http/route.js';
import { once } from '../lazy.js';
import { logger, logOutcome } from '../observability.js';
import { repoServiceFromEnv } from '../repo/deps.js';
import { repoRoutes, type RepoRouteId } from '../repo/routes.js';

const routes = once(() => repoRoutes(repoServiceFromEnv(process.env, (e) => {
  logger.warn('repository recount failed; retried at the next exclusive lock', { errorName: errorName(e) });
})));

const entry = (id: RepoRouteId) => (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> =>
  respond(id, (e) => routes()[id](e), event, logOutcome);

export const status = entry('repo.status');
export const createConfig = entry('repo.createConfig');
export const uploads = entry('repo.uploads');
export const downloads = entry('repo.downloads');
export const list = entry('repo.list');
export const remove = entry('repo.delete');
export const lock = entry('repo.lock');
export const refresh = entry('repo.refresh');
export const unlock = entry('repo.unlock');
export const undelete = entry('repo.undelete');
