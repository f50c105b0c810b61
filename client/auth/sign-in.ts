// Sign-in for programs and the CLI: OpenID Connect authorization code flow with PKCE (S256) and a loopback
// redirect (RFC 8252), through openid-client (v6, on oauth4webapi). What to sign in with comes from the server
// itself (`GET /v1/auth`, protocol/sign-in.ts), so a user needs only the server URL. `SignedIn` is the token
// provider the API clients call per request: it renews the bearer token with the refresh token shortly before it
// expires (and once more when the server refuses it), so a long backup or restore outlives its access token.
// Plain http is accepted only for a loopback issuer (the local runtime's provider).
// On a shared machine (docs/threat-model.md "Another user of the same machine"): when the provider offers pushed
// authorization requests (RFC 9126; the local runtime requires them), redirect URI, PKCE challenge and state go
// over the back channel and the browser's URL carries only a single-use `request_uri`; and a caller that knows
// which account the person means (`expectSubject`) gets a refusal, with nothing stored and the tokens revoked,
// when the provider signed in another account (a flow someone else completed into their own account).

import * as oidc from 'openid-client';
import { BkvError } from '../../protocol/errors.js';
import { ClientError, hostOf } from '../errors.js';
import { printable } from '../printable.js';
import { routeUrl } from '../../protocol/routes.js';
import { SignInConfig } from '../../protocol/sign-in.js';
import type { TokenProvider } from '../http.js';
import { startLoopback } from './loopback.js';
import { TokenStore, type StoredSignIn } from './token-store.js';

/** Renew when less than this part of the token's life (at most a minute) is left. */
const RENEW_FRACTION = 0.25;
const RENEW_MAX_MS = 60_000;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The "signed out" error, a client-local 'sign-in' error: the CLI says "sign in" and exits 1. */
export function signInRequired(server: string, why = 'not signed in'): ClientError<'sign-in'> {
  const message = `${why} to ${server}: sign in with bkv login${server === 'http://127.0.0.1:8787' ? '' : ` --server ${server}`}`;
  return new ClientError('sign-in', printable(message, 1000), { server });
}

/** A sign-in failure on this device (what the CLI prints as it printed it before: terminal-safe, at most 1000 characters). */
function signInError(message: string, cause?: unknown): ClientError<'sign-in'> {
  return new ClientError('sign-in', printable(message, 1000), {}, cause === undefined ? undefined : { cause });
}

/** `GET /v1/auth`: the server's sign-in document. */
export async function fetchSignInConfig(server: string, fetchImpl: typeof fetch = fetch): Promise<SignInConfig> {
  let res: Response;
  try {
    res = await fetchImpl(routeUrl(server, 'auth.config'), { headers: { accept: 'application/json' } });
  } catch (e) {
    throw new ClientError('unreachable', printable(`cannot reach ${new URL(server).host} (is the server running?)`, 1000), { host: hostOf(server) }, { cause: e });
  }
  const answered = (message: string) => new ClientError('bad-answer', printable(message, 1000), { from: 'server', status: res.status });
  if (res.status === 404) throw answered(`${server} does not offer sign-in (no GET /v1/auth); set BKV_TOKEN instead`);
  if (!res.ok) throw answered(`${server} answered ${res.status} for its sign-in settings`);
  const parsed = SignInConfig.safeParse(await res.json().catch(() => undefined));
  if (!parsed.success) throw answered(`${server} answered sign-in settings that do not match the protocol`);
  return parsed.data;
}

function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || url.hostname === '::1';
}

const configurations = new Map<string, Promise<oidc.Configuration>>();

/** The provider's metadata (its discovery document), once per process. */
function providerConfiguration(config: SignInConfig): Promise<oidc.Configuration> {
  const key = `${config.issuer} ${config.clientId}`;
  let found = configurations.get(key);
  if (!found) {
    const issuer = new URL(config.issuer);
    if (issuer.protocol !== 'https:' && !isLoopbackUrl(issuer)) {
      return Promise.reject(new ClientError('usage', printable(`the issuer ${config.issuer} is not https`, 1000)));
    }
    found = oidc.discovery(issuer, config.clientId, undefined, oidc.None(), {
      ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
    }).catch((e: unknown) => {
      configurations.delete(key);
      throw new ClientError('unreachable', printable(`cannot read the identity provider's settings at ${config.issuer}`, 1000), { host: hostOf(config.issuer) }, { cause: e });
    });
    configurations.set(key, found);
  }
  return found;
}

/** A provider's refusal as a short message (its error code and description, never a token). */
function providerError(e: unknown, what: string): Error {
  if (e instanceof oidc.AuthorizationResponseError || e instanceof oidc.ResponseBodyError) {
    const description = e.error_description ? `: ${e.error_description}` : '';
    return signInError(`${what} refused by the identity provider (${e.error}${description})`, e);
  }
  if (e instanceof BkvError || e instanceof ClientError) return e;
  // openid-client wraps what oauth4webapi found wrong (a state, an issuer, a missing parameter) as its cause.
  const cause = e instanceof oidc.ClientError && e.cause instanceof Error ? e.cause : e;
  const message = cause instanceof Error ? cause.message : String(cause);
  return signInError(`${what} failed: ${message}`, e);
}

function record(config: SignInConfig, tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, previous?: StoredSignIn): StoredSignIn {
  const claims = tokens.claims();
  const subject = claims?.sub ?? previous?.subject;
  if (!subject) throw signInError('the identity provider answered without an ID token (is the openid scope allowed?)');
  if (previous && subject !== previous.subject) throw signInError('the identity provider renewed the sign-in for another account');
  const bearer = config.bearer === 'id_token' ? tokens.id_token : tokens.access_token;
  if (!bearer) throw signInError(`the identity provider answered without an ${config.bearer}`);
  const now = Date.now();
  const expiresIn = config.bearer === 'id_token'
    ? (typeof claims?.exp === 'number' ? claims.exp * 1000 - now : 0)
    : (tokens.expiresIn() ?? 300) * 1000;
  const refreshIn = Number((tokens as Record<string, unknown>).refresh_token_expires_in ?? (tokens as Record<string, unknown>).refresh_expires_in);
  const name = [claims?.email, claims?.preferred_username].find((v): v is string => typeof v === 'string') ?? previous?.name;
  const refreshToken = tokens.refresh_token ?? previous?.refreshToken;
  const refreshExpiresAt = Number.isFinite(refreshIn) && refreshIn > 0 ? now + refreshIn * 1000 : previous?.refreshExpiresAt;
  return {
    config, bearer, issuedAt: now, expiresAt: now + Math.max(0, expiresIn), subject,
    signedInAt: previous?.signedInAt ?? now,
    ...(refreshToken ? { refreshToken } : {}),
    ...(name ? { name } : {}),
    ...(refreshExpiresAt ? { refreshExpiresAt } : {}),
  };
}

/** What the person can check on the provider's page: the loopback port the answer goes to. */
export interface SignInFlow {
  port: number;
}

export interface SignInOptions {
  server: string;
  /** Where the sign-in is kept: a TokenStore on `$BKV_HOME` (the CLI), or anything with get/put/remove. */
  store: TokenStore;
  /**
   * Shows the authorization URL to the user: opens a browser, or prints it. May return a clean-up, run when the
   * sign-in ends (client/auth/browser.ts removes the private file it gave the browser).
   */
  openBrowser: (url: URL, flow: SignInFlow) => void | Promise<void | (() => Promise<void>)>;
  /** The account the person means to sign in as: another one is refused, nothing is stored. */
  expectSubject?: string;
  /** Gives up waiting for the browser after this long (default 5 minutes). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/**
 * Signs the user in: the server's sign-in settings, the provider's metadata, a loopback listener, the browser
 * (through `openBrowser`), then the code exchange with the PKCE verifier and the state check. Stores and returns
 * the sign-in; nothing is stored when any step fails.
 */
export async function signIn(options: SignInOptions): Promise<StoredSignIn> {
  const config = await fetchSignInConfig(options.server, options.fetch);
  const provider = await providerConfiguration(config);
  const loopback = await startLoopback({
    host: config.redirect.host, ports: config.redirect.ports,
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
  let cleanUp: (() => Promise<void>) | undefined;
  try {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const params = {
      ...config.authorizationParams,
      redirect_uri: loopback.redirectUri,
      scope: config.scopes.join(' '),
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    };
    let url: URL;
    try {
      url = provider.serverMetadata().pushed_authorization_request_endpoint
        ? await oidc.buildAuthorizationUrlWithPAR(provider, params)
        : oidc.buildAuthorizationUrl(provider, params);
    } catch (e) {
      throw providerError(e, 'sign-in');
    }
    cleanUp = (await options.openBrowser(url, { port: Number(new URL(loopback.redirectUri).port) })) ?? undefined;
    const answer = await loopback.callback;
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(provider, answer, { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
    } catch (e) {
      throw providerError(e, 'sign-in');
    }
    const signedIn = record(config, tokens);
    if (options.expectSubject !== undefined && signedIn.subject !== options.expectSubject) {
      await revoke(provider, signedIn);
      throw signInError(`the provider signed in ${signedIn.subject}, not ${options.expectSubject}: nothing was stored (bkv login --account ${signedIn.subject} if that is the account you meant)`);
    }
    await options.store.put(options.server, signedIn);
    return signedIn;
  } finally {
    await loopback.close();
    if (cleanUp) await cleanUp().catch(() => undefined);
  }
}

/** Revokes a sign-in's refresh token and bearer where the provider can; false when it cannot or refused. */
async function revoke(provider: oidc.Configuration, found: StoredSignIn): Promise<boolean> {
  try {
    if (!provider.serverMetadata().revocation_endpoint) return false;
    if (found.refreshToken) await oidc.tokenRevocation(provider, found.refreshToken, { token_type_hint: 'refresh_token' });
    if (found.config.bearer === 'access_token') await oidc.tokenRevocation(provider, found.bearer, { token_type_hint: 'access_token' }).catch(() => undefined);
    return true;
  } catch {
    return false;
  }
}

/** The API clients' token provider for a signed-in device: the stored token, renewed before it expires. */
export class SignedIn implements TokenProvider {
  private renewing: Promise<string> | undefined;

  constructor(private readonly store: TokenStore, private readonly server: string) {}

  /** The current sign-in; the "sign in" error when there is none. */
  async current(): Promise<StoredSignIn> {
    const found = await this.store.get(this.server);
    if (!found) throw signInRequired(this.server);
    return found;
  }

  async token(): Promise<string> {
    const found = await this.current();
    const margin = Math.min(RENEW_MAX_MS, (found.expiresAt - found.issuedAt) * RENEW_FRACTION);
    if (found.expiresAt - Date.now() > margin) return found.bearer;
    return this.renew(found.bearer);
  }

  /** A fresh token (after `stale` was refused or is about to expire); one renewal at a time, across processes too. */
  renew(stale?: string): Promise<string> {
    this.renewing ??= this.store.locked(async () => {
      const found = await this.current();
      // Another process (or call) renewed it meanwhile.
      if (found.bearer !== stale && found.expiresAt - Date.now() > 5000) return found.bearer;
      if (!found.refreshToken) throw signInRequired(this.server, 'the sign-in expired');
      const provider = await providerConfiguration(found.config);
      let tokens;
      try {
        tokens = await oidc.refreshTokenGrant(provider, found.refreshToken);
      } catch (e) {
        if (e instanceof oidc.ResponseBodyError && e.error === 'invalid_grant') {
          await this.store.remove(this.server);
          throw signInRequired(this.server, 'the sign-in expired or was revoked');
        }
        throw providerError(e, 'renewing the sign-in');
      }
      const next = record(found.config, tokens, found);
      await this.store.put(this.server, next);
      return next.bearer;
    }).finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }
}

export interface SignOutResult {
  /** False when the device had no sign-in for the server. */
  signedIn: boolean;
  /** Whether the provider revoked the refresh token (false: it has no revocation endpoint, or refused). */
  revoked: boolean;
  subject?: string;
}

/** Revokes the refresh token (and with it, at most providers, its access tokens) and forgets the sign-in. */
export async function signOut(store: TokenStore, server: string): Promise<SignOutResult> {
  const found = await store.get(server);
  if (!found) return { signedIn: false, revoked: false };
  const revoked = await providerConfiguration(found.config).then((provider) => revoke(provider, found), () => false);
  await store.remove(server);
  return { signedIn: true, revoked, subject: found.subject };
}
