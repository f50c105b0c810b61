// Wire schemas (zod) of the vault API, shared by the handlers (requests) and the client SDK (answers).
// Every binary value is strict unpadded base64url with an exact or bounded byte length (docs/protocol.md).

import * as z from 'zod';
import { decodeBase64url } from './base64url.js';
import { MAX_MAX_ATTEMPTS, SEALED_KEY_MAX_BYTES, SEALED_KEY_MIN_BYTES } from './constants.js';

/** A base64url string whose decoded length lies in [min, max]; stays a string (what OPAQUE takes). */
export function b64url(min: number, max: number = min) {
  return z.string().max(Math.ceil((max * 4) / 3) + 4).refine(
    (s) => {
      const bytes = decodeBase64url(s);
      return bytes !== undefined && bytes.length >= min && bytes.length <= max;
    },
    { message: min === max ? `must be ${min} bytes of base64url` : `must be ${min}-${max} bytes of base64url` },
  );
}

/** OPAQUE (ristretto255, opaque-ke 4) message sizes in bytes. */
export const OPAQUE_SIZES = {
  registrationRequest: 32,
  registrationResponse: 64,
  registrationRecord: 192,
  startLoginRequest: 96,
  loginResponse: 320,
  finishLoginRequest: 64,
} as const;

/** Login ids and registration ids are 16 random bytes, base64url. */
export const LOGIN_ID_BYTES = 16;
export const REGISTRATION_ID_BYTES = 16;

/**
 * The OPAQUE credential identifier (RFC 9807 §6.2): 32 random bytes the server draws at each registration start
 * and never reuses, so no registration start evaluates the OPRF under a live record's key. Server-side only.
 */
export const CREDENTIAL_ID_BYTES = 32;

export const RegistrationStartRequest = z.strictObject({ registrationRequest: b64url(OPAQUE_SIZES.registrationRequest) });
export const RegistrationStartResponse = z.object({
  registrationId: b64url(REGISTRATION_ID_BYTES),
  registrationResponse: b64url(OPAQUE_SIZES.registrationResponse),
});

export const RegistrationFinishRequest = z.strictObject({
  registrationId: b64url(REGISTRATION_ID_BYTES),
  registrationRecord: b64url(OPAQUE_SIZES.registrationRecord),
  sealedKey: b64url(SEALED_KEY_MIN_BYTES, SEALED_KEY_MAX_BYTES),
});
export const RegistrationFinishResponse = z.object({
  generation: z.number().int().positive(),
  maxAttempts: z.number().int().min(1).max(MAX_MAX_ATTEMPTS),
});

export const LoginStartRequest = z.strictObject({ startLoginRequest: b64url(OPAQUE_SIZES.startLoginRequest) });
export const LoginStartResponse = z.object({
  loginId: b64url(LOGIN_ID_BYTES),
  loginResponse: b64url(OPAQUE_SIZES.loginResponse),
  attemptsRemaining: z.number().int().min(0),
});

export const LoginFinishRequest = z.strictObject({
  loginId: b64url(LOGIN_ID_BYTES),
  finishLoginRequest: b64url(OPAQUE_SIZES.finishLoginRequest),
});
export const LoginFinishResponse = z.object({ sealedKeyBox: b64url(SEALED_KEY_MIN_BYTES + 28, SEALED_KEY_MAX_BYTES + 28) });

export const VaultStatusResponse = z.object({
  registered: z.boolean(),
  generation: z.number().int().min(0),
  attemptsRemaining: z.number().int().min(0),
  maxAttempts: z.number().int().min(0),
  locked: z.boolean(),
});

/** The local runtime's token shortcut (README "Scripts and tests"); not a route of a deployment (protocol/routes.ts). */
export const LOCAL_TOKEN_PATH = '/local/v1/token';
export const LocalTokenRequest = z.strictObject({ accountId: z.string().min(1).max(128).regex(/^[A-Za-z0-9._@:-]+$/) });
export const LocalTokenResponse = z.object({ token: z.string() });

/** An RFC 9457 problem document; its extra members are typed per code by protocol/problems.ts. */
export const Problem = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
});

export type VaultStatus = z.infer<typeof VaultStatusResponse>;
