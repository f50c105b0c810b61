// Lambda entry of the realm routes (one NodejsFunction per route, each naming its export; see functions/routes.ts).
// Importing this module builds nothing: the service is built on the first call, once per cold start.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiEvent } from '../http/request.js';
import { respond } from '../http/route.js';
import { once } from '../lazy.js';
import { logOutcome } from '../observability.js';
import { parseRealmSet, realmServiceFromEnv } from '../realm/deps.js';
import { realmRoutes, type RealmRouteId } from '../realm/routes.js';
import { SETTINGS } from '../../protocol/env.js';

const routes = once(() => realmRoutes(once(() => realmServiceFromEnv()), once(() => parseRealmSet(process.env[SETTINGS.realmSet.lambda]))));

const entry = (id: RealmRouteId) => (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> =>
  respond(id, (e) => routes()[id](e), event, logOutcome);

export const register = entry('realm.register');
export const status = entry('realm.status');
export const recoveryStart = entry('realm.recoveryStart');
export const recoveryFinish = entry('realm.recoveryFinish');
export const remove = entry('realm.delete');
export const realmSet = entry('realm.set');
