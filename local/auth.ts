// Local stand-in for API Gateway's JWT authorizer: verifies bearer tokens against the local OpenID provider's
// JWKS (RS256 only, as API Gateway takes RSA only), with its issuer and the API's audience, like the authorizer
// does with the deployment's issuer and audience. Stricter than the authorizer where that costs nothing: the
// token must be an RFC 9068 access token (`typ: at+jwt`, so an ID token never passes), carry `sub`, `iat` and
// `exp`, and live at most MAX_TOKEN_LIFETIME_S: a token signed for a year would be a key to the account for as
// long as the data dir lives.
// `issueToken` is the scripts' and tests' shortcut (`POST /local/v1/token` with the data dir's secret, or
// `runtime.token()` in-process): the same kind of token the provider issues, signed with the provider's key.

import { randomBytes } from 'node:crypto';
import { SignJWT, createLocalJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { BkvError } from '../protocol/errors.js';
import type { SigningKey } from './keys.js';
import { API_SCOPE, DEFAULT_ACCESS_TOKEN_TTL_S, LOCAL_AUDIENCE } from './provider.js';

/** The longest `exp - iat` accepted (one day), whoever signed the token with the local key. */
export const MAX_TOKEN_LIFETIME_S = 24 * 3600;
/** The `client_id` of shortcut tokens, so logs and tests can tell them from sign-ins. */
export const SHORTCUT_CLIENT_ID = 'bkv-local-shortcut';

export interface TokenVerifier {
  issuer: string;
  audience: string;
  jwks: JWTVerifyGetKey;
}

export function localVerifier(issuer: string, key: SigningKey): TokenVerifier {
  return { issuer, audience: LOCAL_AUDIENCE, jwks: createLocalJWKSet({ keys: [key.publicJwk] }) };
}

export async function issueToken(issuer: string, key: SigningKey, accountId: string, lifetimeS = DEFAULT_ACCESS_TOKEN_TTL_S): Promise<string> {
  return new SignJWT({ client_id: SHORTCUT_CLIENT_ID, scope: API_SCOPE })
    .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: key.publicJwk.kid! })
    .setSubject(accountId)
    .setIssuer(issuer)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setJti(randomBytes(12).toString('base64url'))
    .setExpirationTime(`${lifetimeS}s`)
    .sign(key.privateKey);
}

/** The verified claims of an `Authorization: Bearer …` header; 401 invalid-token otherwise. */
export async function verifyBearer(verifier: TokenVerifier, authorization: string | undefined): Promise<JWTPayload> {
  const match = /^Bearer ([A-Za-z0-9_.-]{1,8192})$/.exec(authorization ?? '');
  if (!match?.[1]) throw new BkvError('invalid-token', 'missing bearer token: sign in (bkv login)');
  try {
    const { payload } = await jwtVerify(match[1], verifier.jwks, {
      issuer: verifier.issuer, audience: verifier.audience, algorithms: ['RS256'], typ: 'at+jwt',
      requiredClaims: ['exp', 'sub', 'iat'], maxTokenAge: MAX_TOKEN_LIFETIME_S,
    });
    if (payload.exp! - payload.iat! > MAX_TOKEN_LIFETIME_S) throw new Error('lifetime too long');
    return payload;
  } catch {
    throw new BkvError('invalid-token', 'token is invalid or expired: sign in again (bkv login)');
  }
}
