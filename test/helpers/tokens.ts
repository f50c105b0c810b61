// Tokens the local runtime must refuse with 401 invalid-token: absent, garbage, signed by another key, unsigned
// (alg none), a real token whose payload was swapped (another subject) or expired by tampering, and tokens
// signed with the runtime's own key (read from its data dir) that lack `exp` or `sub`, or live too long.

import { SignJWT, generateKeyPair } from 'jose';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, MAX_TOKEN_LIFETIME_S } from '../../local/auth.js';
import { tokenKeys } from '../../local/keys.js';

export type TokenForger = readonly [name: string, make: () => Promise<string | undefined>];

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `validToken` and `dataDir` (the runtime's, for its signing key) are read lazily (tests start it in beforeAll). */
export function forgedTokens(account: string, validToken: () => string, dataDir: () => string): TokenForger[] {
  const swapPayload = (claims: Record<string, unknown>) => {
    const [header, , signature] = validToken().split('.');
    return `${header}.${b64json({ iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, ...claims })}.${signature}`;
  };
  return [
    ['no token', async () => undefined],
    ['garbage', async () => 'not.a.jwt'],
    ['signed by another key', async () => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      return new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setSubject(account).setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE).setExpirationTime('1h').sign(privateKey);
    }],
    ['alg none', async () => `${b64json({ alg: 'none' })}.${b64json({ sub: account, iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, exp: 4e9 })}.`],
    ['payload swapped to another sub', async () => swapPayload({ sub: 'other', exp: 4e9 })],
    ['expired by tampering', async () => swapPayload({ sub: account, exp: 1 })],
    ['signed by the runtime\'s key without exp', async () => ownKey(dataDir(), (jwt) => jwt.setSubject(account))],
    ['signed by the runtime\'s key without sub', async () => ownKey(dataDir(), (jwt) => jwt.setExpirationTime('1h'))],
    ['signed by the runtime\'s key, living longer than the cap', async () => ownKey(dataDir(), (jwt) => jwt.setSubject(account)
      .setExpirationTime(Math.floor(Date.now() / 1000) + MAX_TOKEN_LIFETIME_S + 120))],
  ];
}

/** A token signed with the runtime's own key, with issuer, audience and iat set and whatever `claims` adds. */
async function ownKey(dataDir: string, claims: (jwt: SignJWT) => SignJWT): Promise<string> {
  const { privateKey } = await tokenKeys(dataDir);
  return claims(new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).setIssuedAt())
    .sign(privateKey);
}
