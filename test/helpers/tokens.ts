// Tokens the local runtime must refuse with 401 invalid-token: absent, garbage, signed by another key, unsigned
// (alg none), a real token whose payload was swapped (another subject) or expired by tampering, and tokens
// signed with the runtime's own provider key (read from its data dir) that lack `exp` or `sub`, live too long,
// expired, name another issuer or audience, or are not access tokens (`typ` of an ID token). API Gateway's JWT
// authorizer refuses the same (issuer, audience, signature, exp) in AWS.

import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { MAX_TOKEN_LIFETIME_S } from '../../local/auth.js';
import { signingKey } from '../../local/keys.js';
import { LOCAL_AUDIENCE } from '../../local/provider.js';

export type TokenForger = readonly [name: string, make: () => Promise<string | undefined>];

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `validToken` and `dataDir` (the runtime's, for its signing key) are read lazily (tests start it in beforeAll). */
export function forgedTokens(account: string, validToken: () => string, dataDir: () => string): TokenForger[] {
  const issuer = () => String(decodeJwt(validToken()).iss);
  const swapPayload = (claims: Record<string, unknown>) => {
    const [header, , signature] = validToken().split('.');
    return `${header}.${b64json({ iss: issuer(), aud: LOCAL_AUDIENCE, ...claims })}.${signature}`;
  };
  const own = (claims: (jwt: SignJWT) => SignJWT, typ = 'at+jwt') => ownKey(dataDir(), issuer(), claims, typ);
  const now = () => Math.floor(Date.now() / 1000);
  return [
    ['no token', async () => undefined],
    ['garbage', async () => 'not.a.jwt'],
    ['signed by another key', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT({}).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' }).setSubject(account).setIssuer(issuer())
        .setAudience(LOCAL_AUDIENCE).setIssuedAt().setExpirationTime('1h').sign(privateKey);
    }],
    ['alg none', async () => `${b64json({ alg: 'none', typ: 'at+jwt' })}.${b64json({ sub: account, iss: issuer(), aud: LOCAL_AUDIENCE, iat: now(), exp: 4e9 })}.`],
    ['payload swapped to another sub', async () => swapPayload({ sub: 'other', iat: now(), exp: 4e9 })],
    ['expired by tampering', async () => swapPayload({ sub: account, iat: 0, exp: 1 })],
    ['signed by the runtime\'s key without exp', async () => own((jwt) => jwt.setSubject(account))],
    ['signed by the runtime\'s key without sub', async () => own((jwt) => jwt.setExpirationTime('1h'))],
    ['signed by the runtime\'s key, living longer than the cap', async () => own((jwt) => jwt.setSubject(account)
      .setExpirationTime(now() + MAX_TOKEN_LIFETIME_S + 120))],
    ['signed by the runtime\'s key, expired', async () => own((jwt) => jwt.setSubject(account).setIssuedAt(now() - 7200).setExpirationTime(now() - 3600))],
    ['signed by the runtime\'s key for another audience', async () => own((jwt) => jwt.setSubject(account).setExpirationTime('1h').setAudience('urn:other:api'))],
    ['signed by the runtime\'s key for another issuer', async () => own((jwt) => jwt.setSubject(account).setExpirationTime('1h').setIssuer('http://127.0.0.1:1/oidc'))],
    ['signed by the runtime\'s key as an ID token (typ JWT)', async () => own((jwt) => jwt.setSubject(account).setExpirationTime('1h'), 'JWT')],
  ];
}

/** A token signed with the runtime's own provider key, with issuer, audience and iat set and whatever `claims` adds. */
async function ownKey(dataDir: string, issuer: string, claims: (jwt: SignJWT) => SignJWT, typ: string): Promise<string> {
  const key = await signingKey(dataDir);
  return claims(new SignJWT({}).setProtectedHeader({ alg: 'RS256', typ, kid: key.publicJwk.kid! }).setIssuer(issuer)
    .setAudience(LOCAL_AUDIENCE).setIssuedAt()).sign(key.privateKey);
}
