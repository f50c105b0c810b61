// Lambda entry of the vault routes (one NodejsFunction per route, each naming its export; see functions/routes.ts).
// Importing this module builds nothing: the service and its adapters are built on the first call, once per cold
// start, from the environment the route's permissions gave the function; the OPAQUE server setup is unsealed on
// first use.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiEvent } from '../http/request.js';
import { respond } from '../http/route.js';
import { once } from '../lazy.js';
import { logOutcome } from '../observability.js';
import { vaultServiceFromEnv } from '../vault/deps.js';
import { vaultRoutes, type VaultRouteId } from '../vault/routes.js';
import { repoServiceFromEnv } from '../repo/deps.js';
import { deleteRepositoryHook } from '../repo/routes.js';

// `DELETE /v1/vault?backups=true` also deletes the account's repository; only that function has the bucket.
const repo = once(() => repoServiceFromEnv());
const routes = once(() => vaultRoutes(vaultServiceFromEnv(), deleteRepositoryHook(repo)));

const entry = (id: VaultRouteId) => (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> =>
  respond(id, (e) => routes()[id](e), event, logOutcome);

export const registrationStart = entry('vault.registrationStart');
export const registrationFinish = entry('vault.registrationFinish');
export const loginStart = entry('vault.loginStart');
export const loginFinish = entry('vault.loginFinish');
export const status = entry('vault.status');
export const remove = entry('vault.delete');
