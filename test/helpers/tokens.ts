// Tokens the local runtime must refuse with 401 invalid-token: absent, garbage, signed by another key, unsigned
// (alg none), and a real token whose payload was swapped (another subject) or expired by tampering.

import { SignJWT, generateKeyPair } from 'jose';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../local/auth.js';

export type TokenForger = readonly [name: string, make: () => Promise<string | undefined>];

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `validToken` is read lazily (tests issue it in beforeAll). */
export function forgedTokens(account: string, validToken: () => string): TokenForger[] {
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
  ];
}
