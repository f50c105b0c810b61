// Local stand-in for API Gateway's JWT authorizer: verifies bearer tokens signed by the local key (EdDSA,
// issuer "bkv-local", audience "bkv") and issues them for `POST /local/v1/token`, valid for an hour.
// A token must carry `sub`, `iat` and `exp` (RFC 7519 §4.1), and live at most MAX_TOKEN_LIFETIME_S: a token
// without an expiry, or one signed for a year, would be a key to the account for as long as the data dir lives.

import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { BkvError } from '../protocol/errors.js';
import type { TokenKeys } from './keys.js';

export const LOCAL_ISSUER = 'bkv-local';
export const LOCAL_AUDIENCE = 'bkv';
export const TOKEN_LIFETIME_S = 3600;
/** The longest `exp - iat` accepted (one day), whoever signed the token with the local key. */
export const MAX_TOKEN_LIFETIME_S = 24 * 3600;

export async function issueToken(keys: TokenKeys, accountId: string, lifetimeS = TOKEN_LIFETIME_S): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
    .setSubject(accountId)
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${lifetimeS}s`)
    .sign(keys.privateKey);
}

/** The verified claims of an `Authorization: Bearer …` header; 401 invalid-token otherwise. */
export async function verifyBearer(keys: TokenKeys, authorization: string | undefined): Promise<JWTPayload> {
  const match = /^Bearer ([A-Za-z0-9_.-]{1,8192})$/.exec(authorization ?? '');
  if (!match?.[1]) throw new BkvError('invalid-token', 'missing bearer token');
  try {
    const { payload } = await jwtVerify(match[1], keys.publicKey, {
      issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, algorithms: ['EdDSA'],
      requiredClaims: ['exp', 'sub', 'iat'], maxTokenAge: MAX_TOKEN_LIFETIME_S,
    });
    if (payload.exp! - payload.iat! > MAX_TOKEN_LIFETIME_S) throw new Error('lifetime too long');
    return payload;
  } catch {
    throw new BkvError('invalid-token', 'token is invalid or expired');
  }
}
