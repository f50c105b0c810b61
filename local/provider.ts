// The local runtime's identity provider: oidc-provider (OpenID Certified) mounted at `<runtime>/oidc`, with one
// public native client for the `bkv` CLI and the SDK (authorization code + PKCE S256 only, loopback redirects
// on any port as RFC 8252 §7.3 asks, refresh tokens with `offline_access`, rotated on every use), JWT access
// tokens (RFC 9068, RS256) for one resource server whose audience the API checks, revocation (RFC 7009), and
// a plain login page for local accounts (local/accounts.ts) with a sign-up form: it is a local runtime.
// Its state lives in the data dir (local/provider-store.ts), so sign-ins survive a restart.
//
// Against another user of the same machine (docs/threat-model.md "Another user of the same machine"), every
// code goes only to the port of the flow it was asked for, after a person typed the account's password on a
// page that names that port:
// - authorization requests must be pushed (RFC 9126 PAR): the CLI sends redirect URI, PKCE challenge and state
//   over the back channel and the browser gets only `request_uri`, single-use and bound to them; a request the
//   browser carries itself is refused, so nothing in a URL can move the code to another port;
// - every authorization request needs a login in that same flow (the `fresh_login` check): a browser session
//   never signs a person in silently, so a link another user sends shows the login page, naming the port;
// - no provider session outlives its flow: the session cookie is a browser-session cookie, and the session is
//   destroyed as soon as the flow answers the client (code or error). A cookie copied by a listener on another
//   loopback port (cookies ignore ports) refers to nothing. `bkv logout` revokes the grant (refresh token).
// The consent step is answered by the runtime itself right after that login: the CLI is the runtime's own
// first-party client, and the login page already said what it grants to which port.

import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { LocalAccounts } from './accounts.js';
import { ACCOUNT_NAME, AccountError } from './accounts.js';
import { ACCOUNT_POLICY, CLIENT_POLICY, FailureThrottle, clientKey } from './throttle.js';
import type { SigningKey } from './keys.js';
import { fileAdapterFactory } from './provider-store.js';
import { STORAGE_FAULTS } from './s3.js';

/** The CLI's client id at the local provider (what `GET /v1/auth` names). */
export const LOCAL_CLIENT_ID = 'bkv-cli';
/** The API's audience (a resource indicator, RFC 8707: an absolute URI): the `aud` of every local access token. */
export const LOCAL_AUDIENCE = 'urn:bkv:api';
/** The resource scope the API's access tokens carry. */
export const API_SCOPE = 'bkv';
export const LOCAL_SCOPES = ['openid', 'offline_access', API_SCOPE] as const;
/** The provider's path under the runtime's URL: the issuer is `<runtime url>/oidc`. */
export const PROVIDER_PATH = '/oidc';
/** The login pages' path (outside the provider's own routes). */
export const LOGIN_PATH = '/local/login';

export const DEFAULT_ACCESS_TOKEN_TTL_S = 3600;
/** How long a sign-in may take from the push to the code (the CLI's loopback waits 5 minutes). */
export const SIGN_IN_TTL_S = 600;
export const DEFAULT_REFRESH_TOKEN_TTL_S = 14 * 24 * 3600;

export interface ProviderOptions {
  issuer: string;
  signingKey: SigningKey;
  cookieKey: string;
  accounts: LocalAccounts;
  accessTokenTtlS?: number;
  refreshTokenTtlS?: number;
  /** Where grants, sessions and tokens are kept (local/provider-store.ts); in memory when absent. */
  stateDir?: string;
}

export function buildProvider(options: ProviderOptions): Provider {
  const accessTtl = options.accessTokenTtlS ?? DEFAULT_ACCESS_TOKEN_TTL_S;
  const refreshTtl = options.refreshTokenTtlS ?? DEFAULT_REFRESH_TOKEN_TTL_S;
  const { accounts } = options;
  const configuration: Configuration = {
    ...(options.stateDir ? { adapter: fileAdapterFactory(options.stateDir) } : {}),
    clients: [{
      client_id: LOCAL_CLIENT_ID,
      client_name: 'bkv',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // Loopback redirects match on any port for native clients (RFC 8252 §7.3); `localhost` for clients that
      // must use the fixed ports Cognito needs (client/auth/loopback.ts).
      redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]/callback', 'http://localhost/callback'],
    }],
    jwks: { keys: [options.signingKey.privateJwk as never] },
    // OpenID scopes only; `bkv` is the resource server's scope (getResourceServerInfo).
    scopes: ['openid', 'offline_access'],
    claims: { openid: ['sub'] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: true },
      // A client revokes only its own tokens.
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => LOCAL_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== LOCAL_AUDIENCE) throw new errors.InvalidTarget('unknown resource');
          return { scope: API_SCOPE, audience: LOCAL_AUDIENCE, accessTokenTTL: accessTtl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    // A refresh token only when `offline_access` was asked for and granted (OIDC Core §11), for the CLI's client.
    issueRefreshToken: (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: refreshTtl,
      Grant: refreshTtl,
      Interaction: SIGN_IN_TTL_S,
      PushedAuthorizationRequest: SIGN_IN_TTL_S,
      // A backstop: sessions are destroyed when their flow answers the client (below).
      Session: SIGN_IN_TTL_S,
    },
    // Session cookies end with the browser session, whatever the session's own life.
    cookies: { keys: [options.cookieKey], long: { signed: true, httpOnly: true, sameSite: 'lax' } },
    findAccount: async (_ctx, id) => (await accounts.canSignIn(id) ? { accountId: id, claims: () => ({ sub: id }) } : undefined),
    interactions: { url: (_ctx, interaction) => `${LOGIN_PATH}/${interaction.uid}`, policy: signInPolicy() },
    renderError: (ctx: KoaContextWithOIDC, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in failed', `<p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`);
    },
  };
  const provider = new Provider(options.issuer, configuration);
  // The runtime answers only loopback clients over http; tell koa not to trust forwarded headers.
  provider.proxy = false;
  provider.use(endSessionWithFlow(provider));
  return provider;
}

/** oidc-provider's prompts, with a login required in every flow (the person types the password each time). */
function signInPolicy(): interactionPolicy.Prompt[] {
  const policy = interactionPolicy.base();
  policy.get('login')!.checks.add(new interactionPolicy.Check('fresh_login', 'every sign-in asks for the password', (ctx) =>
    (ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT)));
  return policy;
}

/**
 * Ends the provider session when a flow answers the client (a redirect that is not to the login page): the
 * session lives from the password to the code, so nothing a browser keeps can start another flow.
 */
function endSessionWithFlow(provider: Provider) {
  const cookie = provider.cookieName('session');
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>) => {
    await next();
    const route = ctx.oidc?.route;
    if (route !== 'authorization' && route !== 'resume') return;
    const location = ctx.response.get('location');
    if (!location || location.startsWith(LOGIN_PATH)) return;
    const session = (ctx.oidc as { session?: { id?: string; destroy(): Promise<void> } }).session;
    if (session?.id) await session.destroy();
    ctx.cookies.set(cookie, null);
    ctx.cookies.set(`${cookie}.sig`, null);
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · bkv</title>`
    + '<meta name="viewport" content="width=device-width,initial-scale=1">'
    + '<style>body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem}'
    + 'label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}'
    + 'button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a00}</style></head>'
    + `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** Who asks: the client and the loopback port its code will go to (the flow's pushed redirect URI). */
export interface Asker {
  client: string;
  port: string;
}

function askerOf(params: Record<string, unknown>): Asker {
  let port = '?';
  try {
    const u = new URL(String(params.redirect_uri));
    port = u.port || '80';
  } catch {
    // the provider checked redirect_uri already; '?' is never shown for a flow that can succeed
  }
  return { client: String(params.client_id), port };
}

function askerText(asker: Asker): string {
  return `<p id="asker">The <code>bkv</code> command waiting on <strong>port ${escapeHtml(asker.port)}</strong> of this computer `
    + `(client <code>${escapeHtml(asker.client)}</code>) asks to sign in. It will get access to the account's backups and key vault. `
    + `Continue only if you just ran <code>bkv login</code> and your terminal shows port ${escapeHtml(asker.port)}.</p>`;
}

function loginPage(uid: string, mode: 'login' | 'signup', asker: Asker, error?: string, name = ''): string {
  const action = `${LOGIN_PATH}/${encodeURIComponent(uid)}/${mode}`;
  const other = mode === 'login'
    ? `<p>No account yet? <a id="signup" href="${LOGIN_PATH}/${encodeURIComponent(uid)}?signup=1">Create one</a> (local accounts of this runtime).</p>`
    : `<p><a href="${LOGIN_PATH}/${encodeURIComponent(uid)}">Sign in with an existing account</a></p>`;
  return page(mode === 'login' ? 'Sign in to bkv (local)' : 'Create a local bkv account',
    `${askerText(asker)}${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}`
    + `<form method="post" action="${action}">`
    + `<label for="username">User name</label><input id="username" name="username" autocomplete="username" required value="${escapeHtml(name)}">`
    + `<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="${mode === 'login' ? 'current-password' : 'new-password'}" required>`
    + `<button type="submit" id="submit">${mode === 'login' ? 'Sign in' : 'Create account and sign in'}</button></form>`
    + `<form method="post" action="${LOGIN_PATH}/${encodeURIComponent(uid)}/cancel"><button type="submit" id="cancel">Cancel: this is not my sign-in</button></form>${other}`);
}

function sendHtml(res: ServerResponse, status: number, html: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...extra,
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
    // form-action also governs the redirects after a submit: the chain ends at the client's loopback redirect.
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:* http://localhost:* http://[::1]:*; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  });
  res.end(html);
}

/** Failed sign-ins, per account name and per client (local/throttle.ts). */
export interface SignInThrottles {
  account: FailureThrottle;
  client: FailureThrottle;
}

export function signInThrottles(now: () => number = Date.now): SignInThrottles {
  return { account: new FailureThrottle(ACCOUNT_POLICY, now), client: new FailureThrottle(CLIENT_POLICY, now) };
}

/** What every failed try answers: a wrong password, an unknown name, a sign-up of a taken or reserved name. */
const WRONG = 'Wrong user name or password. (A new account needs a user name nobody has.)';

/**
 * The login pages: `GET /local/login/<uid>` (the form; `?signup=1` the sign-up form), `POST …/login`,
 * `POST …/signup` and `POST …/cancel` (the client gets `access_denied`). The interaction must be the browser's
 * own (oidc-provider checks its interaction cookie), and the consent prompt that follows a login in the same flow
 * is granted here for the runtime's own client.
 */
export async function handleLogin(
  provider: Provider, accounts: LocalAccounts, throttles: SignInThrottles, req: IncomingMessage, res: ServerResponse, body: Buffer,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const [, uid, action] = /^\/local\/login\/([A-Za-z0-9_-]{1,64})(?:\/(login|signup|cancel))?$/.exec(url.pathname) ?? [];
  if (!uid) return sendHtml(res, 404, page('Not found', '<p>No such page.</p>'));
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch {
    return sendHtml(res, 400, page('Sign-in expired', '<p>This sign-in is unknown or has expired. Start again with <code>bkv login</code>.</p>'));
  }
  if (details.uid !== uid) return sendHtml(res, 400, page('Sign-in expired', '<p>This sign-in belongs to another browser session.</p>'));

  const asker = askerOf(details.params);
  if (details.prompt.name === 'consent') {
    const accountId = details.session?.accountId;
    // Granted only right after the password was typed in this same flow, on the page that named the port.
    if (!accountId || details.lastSubmission?.login?.accountId !== accountId) {
      return sendHtml(res, 400, page('Sign-in failed', '<p>No sign-in in this flow. Start again with <code>bkv login</code>.</p>'));
    }
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    const g = grant ?? new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    // What the request asks for and the grant lacks; the provider has already limited it to known scopes.
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope?.length) g.addOIDCScope(missing.missingOIDCScope.join(' '));
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) g.addResourceScope(resource, scopes.join(' '));
    const grantId = await g.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  const signup = action === 'signup' || (!action && url.searchParams.get('signup') === '1');
  if (req.method === 'GET' && !action) return sendHtml(res, 200, loginPage(uid, signup ? 'signup' : 'login', asker));
  if (req.method !== 'POST' || !action) return sendHtml(res, 405, page('Not allowed', '<p>Use the form.</p>'));
  if (!/^application\/x-www-form-urlencoded\b/.test(req.headers['content-type'] ?? '')) {
    return sendHtml(res, 415, page('Not allowed', '<p>Use the form.</p>'));
  }
  if (action === 'cancel') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the sign-in was cancelled' }, { mergeWithLastSubmission: false });
  }
  const form = new URLSearchParams(body.toString('utf8'));
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  const mode = action === 'signup' ? 'signup' : 'login';
  // Every try may be a guess (a sign-up of a taken name is a sign-in): refused unchecked while throttled.
  const accountKey = ACCOUNT_NAME.test(username) ? `account:${username}` : 'account:(invalid)';
  const clientId = clientKey(req.socket.remoteAddress);
  const wait = Math.max(throttles.account.waitMs(accountKey), throttles.client.waitMs(clientId));
  if (wait > 0) {
    const minutes = Math.max(1, Math.ceil(wait / 60_000));
    return sendHtml(res, 429, loginPage(uid, mode, asker, `Too many failed sign-ins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, username),
      { 'retry-after': String(Math.ceil(wait / 1000)) });
  }
  let ok: boolean;
  if (action === 'signup') {
    try {
      ok = (await accounts.signUp(username, password)) !== 'refused';
    } catch (e) {
      if (e instanceof AccountError) return sendHtml(res, 400, loginPage(uid, 'signup', asker, e.message, username));
      if (STORAGE_FAULTS.has((e as NodeJS.ErrnoException).code ?? '')) {
        return sendHtml(res, 507, page('Storage is full', '<p>The runtime cannot save the account: its disk is full. Try again later.</p>'), { 'retry-after': '1' });
      }
      throw e;
    }
  } else {
    ok = await accounts.verify(username, password);
  }
  if (!ok) {
    throttles.account.fail(accountKey);
    throttles.client.fail(clientId);
    // the same answer for a wrong password, an unknown name and a sign-up of a taken or reserved name
    return sendHtml(res, 401, loginPage(uid, mode, asker, WRONG, username));
  }
  // The client's bucket is not reset: one's own account must not buy more guesses at others'.
  throttles.account.reset(accountKey);
  // remember: false makes the session cookie a browser-session cookie; the session itself ends with the flow.
  return provider.interactionFinished(req, res, { login: { accountId: username, remember: false } }, { mergeWithLastSubmission: false });
}
