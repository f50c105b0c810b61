// The sign-in document of `GET /v1/auth` (docs/protocol.md "Signing in"): everything a client needs to sign a
// user in with OpenID Connect (authorization code + PKCE, loopback redirect, RFC 8252) knowing only the server
// URL. Shared by the handler (functions/auth/) and the SDK (client/auth/).

import * as z from 'zod';

/** The fixed loopback ports of the CLI's redirect when the provider matches redirect URIs exactly (Cognito). */
export const FIXED_CALLBACK_PORTS = [45817, 45818, 45819] as const;
export const CALLBACK_PATH = '/callback';

export const SignInConfig = z.strictObject({
  /** The OpenID provider's issuer: `<issuer>/.well-known/openid-configuration` is its discovery document. */
  issuer: z.url({ protocol: /^https?$/ }).max(2048),
  /** The public client (no secret) the CLI and the SDK sign in as. */
  clientId: z.string().min(1).max(256),
  /** Scopes to ask for, `openid` first. */
  scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]{1,256}$/)).min(1).max(20),
  /** The audience the API checks (`aud`, or `client_id` for Cognito access tokens). */
  audience: z.string().min(1).max(2048),
  /** Which of the provider's tokens the API takes as the bearer token. */
  bearer: z.enum(['access_token', 'id_token']),
  /** The loopback redirect: host as registered at the provider; fixed `ports` to try in order, or any port when empty. */
  redirect: z.strictObject({
    host: z.enum(['127.0.0.1', 'localhost']),
    ports: z.array(z.int().min(1024).max(65535)).max(10),
  }),
  /** Extra authorization request parameters the provider needs (Auth0's `audience`, `prompt=consent` for offline_access). */
  authorizationParams: z.record(z.string().regex(/^[a-z_]{1,64}$/), z.string().max(2048)).optional(),
});
export type SignInConfig = z.infer<typeof SignInConfig>;
