// Deployment settings read from the Lambda environment (set by lib/ constructs' grant methods), validated once
// per cold start with clear errors.

import { DEFAULT_MAX_ATTEMPTS, MAX_MAX_ATTEMPTS, MIN_MAX_ATTEMPTS } from '../protocol/constants.js';

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`missing environment variable ${name}`);
  return value;
}

export function parseMaxAttempts(value: string | number | undefined): number {
  if (value === undefined || value === '') return DEFAULT_MAX_ATTEMPTS;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < MIN_MAX_ATTEMPTS || n > MAX_MAX_ATTEMPTS) {
    throw new Error(`maxAttempts must be an integer from ${MIN_MAX_ATTEMPTS} to ${MAX_MAX_ATTEMPTS}`);
  }
  return n;
}
