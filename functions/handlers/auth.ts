// Lambda entry of the sign-in discovery route (functions/auth/routes.ts). No permissions, one setting (`SIGN_IN`).

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { authRoutes, signInConfigFromEnv } from '../auth/routes.js';
import type { ApiEvent } from '../http/request.js';
import { respond } from '../http/route.js';
import { once } from '../lazy.js';
import { logOutcome } from '../observability.js';

const routes = once(() => authRoutes(signInConfigFromEnv()));

export const config = (event: ApiEvent): Promise<APIGatewayProxyStructuredResultV2> =>
  respond('auth.config', (e) => routes()['auth.config'](e), event, logOutcome);
