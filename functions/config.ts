// Deployment settings read from the Lambda environment (set by lib/ constructs' grant methods), validated on a
// function's first call with clear errors. A bad setting is the deployment's fault, not the caller's: it is thrown
// as a plain Error, so the caller gets a bare 500 and the operator's log gets the message.

import { isBkvError } from '../protocol/errors.js';
import { intSetting, MAX_ATTEMPTS, type IntBounds } from '../protocol/settings.js';

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`missing environment variable ${name}`);
  return value;
}

/** protocol/settings.ts's parser for a server-side setting: its refusal becomes a plain Error (a 500). */
export function serverSetting(name: string, raw: unknown, bounds: IntBounds): number {
  try {
    return intSetting(name, raw, bounds);
  } catch (e) {
    if (isBkvError(e)) throw new Error(e.message, { cause: e });
    throw e;
  }
}

export function parseMaxAttempts(value: string | number | undefined): number {
  return serverSetting('maxAttempts', value, MAX_ATTEMPTS);
}
