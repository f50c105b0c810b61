// Lambda entry of the vault routes (one NodejsFunction per route, each naming its export; see functions/routes.ts).
// Adapters are built once per cold start; the OPAQUE server setup is unsealed on first use.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiEvent } from '../http/request.js';
import { respond } from '../http/route.js';
import { logOutcome } from '../observability.js';
import { vaultServiceFromEnv } from '../vault/deps.js';
import { vaultRoutes, type VaultRouteId } from '../vault/routes.js';
import { backupsServiceFromEnv } from '../backups/deps.js';
import { deleteBackupsHook } from '../backups/routes.js';
import type { BackupsService } from '../backups/service.js';

// `DELETE /v1/vault?backups=true` also deletes the account's backups; only that function has the backup settings.
let backups: BackupsService | undefined;
const routes = vaultRoutes(vaultServiceFromEnv(), deleteBackupsHook(() => (backups ??= backupsServiceFromEnv())));

const entry = (id: VaultRouteId) => (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> =>
  respond(id, routes[id], event, logOutcome);

export const registrationStart = entry('vault.registrationStart');
export const registrationFinish = entry('vault.registrationFinish');
export const loginStart = entry('vault.loginStart');
export const loginFinish = entry('vault.loginFinish');
export const status = entry('vault.status');
export const remove = entry('vault.delete');
