// Lambda entry of the vault routes (one NodejsFunction per route, each naming its export; see functions/routes.ts).
// Adapters are built once per cold start; the OPAQUE server setup is unsealed on first use.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiEvent } from '../http/request.js';
import { respond } from '../http/route.js';
import { logOutcome } from '../observability.js';
import { vaultServiceFromEnv } from '../vault/deps.js';
import { vaultRoutes, type VaultRouteId } from '../vault/routes.js';

const routes = vaultRoutes(vaultServiceFromEnv());

const entry = (id: VaultRouteId) => (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> =>
  respond(id, routes[id], event, logOutcome);

export const registrationStart = entry('vault.registrationStart');
export const registrationFinish = entry('vault.registrationFinish');
export const loginStart = entry('vault.loginStart');
export const loginFinish = entry('vault.loginFinish');
export const status = entry('vault.status');
export const remove = entry('vault.delete');
