// The sign-in discovery route, `GET /v1/auth` (unauthenticated: a client calls it before it has a token). It
// answers the deployment's sign-in document (protocol/sign-in.ts), from the `SIGN_IN` setting in AWS or the
// local provider's settings in the local runtime. Nothing in it is secret: public client, issuer, scopes.

import type { RouteImpl } from '../http/route.js';
import { SignInConfig } from '../../protocol/sign-in.js';
import type { RouteIdOf } from '../routes.js';
import { requireEnv } from '../config.js';
import { SETTINGS } from '../../protocol/env.js';

export type AuthRouteId = RouteIdOf<'functions/handlers/auth.ts'>;

export function authRoutes(config: SignInConfig): Record<AuthRouteId, RouteImpl> {
  return { 'auth.config': async () => ({ status: 200, body: config }) };
}

/** The `SIGN_IN` environment variable (JSON of the sign-in document); a bad one is the deployment's fault (500). */
export function signInConfigFromEnv(env: NodeJS.ProcessEnv = process.env): SignInConfig {
  const raw = requireEnv(SETTINGS.signIn.lambda, env);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('SIGN_IN is not JSON');
  }
  const parsed = SignInConfig.safeParse(json);
  if (!parsed.success) throw new Error(`SIGN_IN is not a sign-in document: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
