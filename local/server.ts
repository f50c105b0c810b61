// The local runtime: the same route implementations the Lambdas run, behind node:http on one machine, fed the
// events API Gateway would build (JWT checked here in place of the authorizer), with dynalite as DynamoDB (on a
// Unix socket in the data dir), a file-backed S3 subset (local/s3.ts: objects as plain files under
// `<data>/objects/<bucket>/`, on loopback, verifying SigV4 and presigned URLs), both taking only
// the runtime's own credentials, and an AES-256-GCM sealer whose key lives in the data dir. Every request gets an
// answer: 503 while it starts, 503 while the disk is full (docs/threat-model.md, invariant 11).
// Identity: a real OpenID provider (local/provider.ts, oidc-provider) at `<url>/oidc` with local accounts and a
// login page at `/local/login/…`; API tokens are verified against its JWKS with its issuer and the API's audience
// (local/auth.ts). `POST /local/v1/token` mints a token only for a caller that shows the data dir's secret.
// Bodies: a request is routed and its token (or the shortcut's secret) checked from its headers before its body is
// read, so a refused one is answered at once and its body never held; what is read is bounded per request (64 KiB)
// and, all connections together, by a shared budget (then 503 with retry-after).

import { timingSafeEqual } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_DEFAULT_ACCOUNT, MAX_BODY_BYTES } from '../protocol/constants.js';
import { encodeBase64url } from '../protocol/base64url.js';
import { BkvError } from '../protocol/errors.js';
import { LOCAL_TOKEN_PATH, LocalTokenRequest } from '../protocol/schemas.js';
import { DynamoRepoItemStore } from '../functions/adapters/dynamo-repo-store.js';
import { DynamoVaultStore } from '../functions/adapters/dynamo-vault-store.js';
import { S3ObjectStore } from '../functions/adapters/s3-object-store.js';
import { parseRepoConfig } from '../functions/repo/deps.js';
import { deleteRepositoryHook, repoRoutes } from '../functions/repo/routes.js';
import { RepoService } from '../functions/repo/service.js';
import { LocalSealer } from '../functions/adapters/local-sealer.js';
import { parseMaxAttempts } from '../functions/config.js';
import { parseBody, type ApiEvent } from '../functions/http/request.js';
import { problemResponse } from '../functions/http/problem.js';
import { respond, type Observer, type RouteImpl } from '../functions/http/route.js';
import { systemClock, type Clock } from '../functions/ports.js';
import { ROUTES, matchPath } from '../functions/routes.js';
import { documentClient } from '../functions/adapters/document-client.js';
import { buildVaultService } from '../functions/vault/deps.js';
import { ensureServerSetup } from '../functions/vault/opaque.js';
import { vaultRoutes } from '../functions/vault/routes.js';
import { DynamoRealmStore } from '../functions/adapters/dynamo-realm-store.js';
import { parseRealmId } from '../functions/realm/deps.js';
import { realmRoutes } from '../functions/realm/routes.js';
import { RealmService } from '../functions/realm/service.js';
import type { RealmSet } from '../protocol/realm/schemas.js';

/** Realm 1's id (fifteen zero bytes and a one), as lib/config.ts defaults it too. */
export const DEFAULT_REALM_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type Provider from 'oidc-provider';
import { authRoutes } from '../functions/auth/routes.js';
import type { SignInConfig } from '../protocol/sign-in.js';
import { LocalAccounts, SignedUpAccount } from './accounts.js';
import { MAX_TOKEN_LIFETIME_S, issueToken, localVerifier, verifyBearer } from './auth.js';
import {
  LOCAL_AUDIENCE, LOCAL_CLIENT_ID, LOCAL_SCOPES, LOGIN_PATH, PROVIDER_PATH, buildProvider, handleLogin, signInThrottles,
} from './provider.js';
import { startDynamo, LOCAL_TABLE, type LocalDynamo } from './dynamo.js';
import { buildEvent } from './event.js';
import {
  TOKEN_SECRET_FILE, dataDirSecret, ensureDataDir, lockDataDir, randomStorageCredentials, realmKeySeed, sealerKey, signingKey, storageCredentials,
  tightenDataDir, type DataDirLock, type SigningKey,
} from './keys.js';
import { BodiesBusy, BodyBudget, BodyTooLarge } from './read-body.js';
import { STORAGE_FAULTS, startS3, type LocalS3 } from './s3.js';
import { DELETED_RETENTION_DAYS, intSetting } from '../protocol/settings.js';

export interface LocalOptions {
  /** Where data and keys persist (DynamoDB, S3 objects, sealer and token keys, storage credentials). */
  dataDir: string;
  /** Keep DynamoDB in memory and S3 in a temporary directory instead of under dataDir (tests). */
  inMemory?: boolean;
  port?: number;
  host?: string;
  maxAttempts?: number | string;
  /** Repository API settings (functions/repo/deps.ts): bytes per account, presigned URL lifetime. */
  repoQuotaBytes?: number | string;
  urlTtlSeconds?: number | string;
  /** Days a deleted repository object stays recoverable (`bkv undelete`) in the local object store's trash: 1–3650, default 30. */
  deletedRetentionDays?: number | string;
  /** Lifetimes of the provider's access tokens (default 3600 s, at most a day) and refresh tokens (default 14 days). */
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  clock?: Clock;
  observe?: Observer;
  /**
   * Called (and awaited) once the port is taken, before storage starts: every request from then on is answered,
   * 503 `unavailable` with `retry-after` until the runtime is ready.
   */
  onListening?: (url: string) => void | Promise<void>;
  /**
   * This runtime as one realm of a realm set (docs/protocol.md "Realms"; README "Several realms on one machine"):
   * its id (16 bytes base64url, default realm 1), the set it publishes at `GET /v1/realms` (a function, as the
   * URLs may be known only once every runtime listens), and the identity provider whose tokens it takes (another
   * runtime's `trustAnchor`; default its own provider).
   */
  realm?: { id?: string; set?: () => RealmSet | undefined; trust?: TrustAnchor };
}

/** What another runtime needs to accept this runtime's access tokens: its issuer and public signing key. */
export interface TrustAnchor {
  issuer: string;
  publicJwk: SigningKey['publicJwk'];
}

export interface LocalRuntime {
  url: string;
  port: number;
  /** The local OpenID provider's issuer, `<url>/oidc`. */
  issuer: string;
  /** The provider itself (tests listen to its events: grants, refreshes, revocations). */
  provider: Provider;
  /**
   * Issues an access token, as `POST /local/v1/token` does for a holder of the secret (scripts, tests): reserves the
   * name for the shortcut (sign-up can no longer take it); a `conflict` BkvError for a signed-up account.
   */
  token(accountId: string): Promise<string>;
  /** Creates a local account of the provider (user name = `sub`), as the login page's sign-up form does. */
  createAccount(name: string, password: string): Promise<void>;
  /** The file (0600, in the data dir) holding the secret `POST /local/v1/token` asks for. */
  tokenSecretFile: string;
  /**
   * The local S3: the object `<key>` is the file `<directory>/<bucket>/<key>`; `endpoint` takes only requests signed
   * with the runtime's credentials, as `client` signs them.
   */
  s3: { endpoint: string; bucket: string; directory: string; client: S3Client };
  /**
   * The local DynamoDB (dynalite) on a Unix socket in the data dir, the table that holds vault and repo items,
   * and a client signed with the runtime's credentials (tests in the role of a table reader or writer).
   */
  dynamo: { socketPath: string; table: string; client: DynamoDBClient };
  /** This runtime's identity provider, for realms that trust it (LocalOptions.realm.trust). */
  trustAnchor: TrustAnchor;
  /** This runtime's realm registration public key (X25519, unpadded base64url), for the realm set it is part of. */
  realmPublicKey: string;
  close(): Promise<void>;
}

const TOKEN_PATH = LOCAL_TOKEN_PATH;
/** Bytes of request bodies the API holds at once, all connections together (each at most MAX_BODY_BYTES). */
const MAX_BUFFERED_TOTAL = 8 * 1024 * 1024;


function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2, extraHeaders: Record<string, string> = {}): void {
  const headers: Record<string, string> = { ...extraHeaders };
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  // Answered before its body was read (refused from its headers): close, so the rest of the body is never waited for.
  if (!res.req.complete) headers.connection = 'close';
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.body ?? '');
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The answer to every request until the runtime is ready. */
function starting(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  send(res, problemResponse(new BkvError('unavailable', 'starting; try again shortly')));
}

const baseUrl = (options: LocalOptions, server: Server) => `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;

export async function startLocal(options: LocalOptions): Promise<LocalRuntime> {
  await ensureDataDir(options.dataDir);
  const lock = await lockDataDir(options.dataDir);
  let server: Server | undefined;
  let dynamo: LocalDynamo | undefined;
  let s3: LocalS3 | undefined;
  let s3Dir: string | undefined;
  try {
    await tightenDataDir(options.dataDir);
    // Take the port first, so a second copy fails fast and clearly before touching the data. The request listener
    // is there from the moment the port is: a request that arrives while storage starts gets a 503, not silence.
    let handler: Handler = starting;
    server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    await options.onListening?.(baseUrl(options, server));
    s3Dir = options.inMemory ? await mkdtemp(join(tmpdir(), 'bkv-s3-')) : join(options.dataDir, 'objects');
    const credentials = options.inMemory ? randomStorageCredentials() : await storageCredentials(options.dataDir);
    const [d, blobs, key, keys] = await Promise.all([
      startDynamo(options.inMemory ? undefined : join(options.dataDir, 'dynamodb'), LOCAL_TABLE, { credentials, socketDir: options.dataDir }).then((x) => (dynamo = x)),
      startS3(s3Dir, credentials, { deletedRetentionDays: intSetting('deleted retention days', options.deletedRetentionDays, DELETED_RETENTION_DAYS), ...(options.clock ? { now: () => options.clock!.now() } : {}) }).then((x) => (s3 = x)),
      sealerKey(options.dataDir),
      signingKey(options.dataDir),
    ]);
    const served = await serve(options, server, d, key, keys, lock, blobs);
    handler = served.handle;
    return served.runtime;
  } catch (e) {
    if (server?.listening) await new Promise((r) => server!.close(r));
    await dynamo?.close();
    await s3?.close();
    if (options.inMemory && s3Dir) await rm(s3Dir, { recursive: true, force: true });
    await lock.release();
    throw e;
  }
}

async function serve(
  options: LocalOptions, server: Server, dynamo: LocalDynamo, key: Uint8Array, signing: SigningKey, lock: DataDirLock, s3: LocalS3,
): Promise<{ runtime: LocalRuntime; handle: Handler }> {
  const url = baseUrl(options, server);
  const issuer = `${url}${PROVIDER_PATH}`;
  // The README's default account of the shortcut is the operator's from the first request on: sign-up refuses it
  // by name, and it is written down as reserved before the runtime serves (every request gets a 503 until serve()
  // returns; a full disk only delays the entry). A data dir where it was signed up before keeps that account
  // (nothing tells who made it); the shortcut then refuses it with 409.
  const accounts = new LocalAccounts(options.dataDir, [LOCAL_DEFAULT_ACCOUNT]);
  await accounts.reserve(LOCAL_DEFAULT_ACCOUNT).catch((e: unknown) => {
    if (!(e instanceof SignedUpAccount) && !STORAGE_FAULTS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
  });
  /** The shortcut's token: the name is reserved for it first; a signed-up account is not the shortcut's (409). */
  const shortcutToken = async (accountId: string): Promise<string> => {
    try {
      await accounts.reserve(accountId);
    } catch (e) {
      if (e instanceof SignedUpAccount) throw new BkvError('conflict', `${accountId} was created on the sign-in page: sign in as it with bkv login; the shortcut reaches only names it reserved`);
      if (STORAGE_FAULTS.has((e as NodeJS.ErrnoException).code ?? '')) throw new BkvError('insufficient-storage', 'storage is full; try again later', { cause: e });
      throw e;
    }
    return issueToken(issuer, signing, accountId);
  };
  const [cookieKey, tokenSecret] = await Promise.all([
    dataDirSecret(options.dataDir, 'oidc-cookie-key'), dataDirSecret(options.dataDir, TOKEN_SECRET_FILE),
  ]);
  const accessTtl = options.accessTokenTtlSeconds ?? 3600;
  if (!Number.isInteger(accessTtl) || accessTtl < 1 || accessTtl > MAX_TOKEN_LIFETIME_S) {
    throw new Error(`access token lifetime must be 1-${MAX_TOKEN_LIFETIME_S} seconds`);
  }
  const provider = buildProvider({
    issuer, signingKey: signing, cookieKey, accounts, accessTokenTtlS: accessTtl, stateDir: join(options.dataDir, 'oidc'),
    ...(options.refreshTokenTtlSeconds ? { refreshTokenTtlS: options.refreshTokenTtlSeconds } : {}),
  });
  const providerCallback = provider.callback();
  const throttles = signInThrottles(() => (options.clock ?? systemClock).now());
  const trust = options.realm?.trust;
  const verifier = trust ? localVerifier(trust.issuer, { ...signing, publicJwk: trust.publicJwk }) : localVerifier(issuer, signing);
  const signIn: SignInConfig = {
    issuer, clientId: LOCAL_CLIENT_ID, scopes: [...LOCAL_SCOPES], audience: LOCAL_AUDIENCE, bearer: 'access_token',
    redirect: { host: '127.0.0.1', ports: [] },
    // oidc-provider grants offline_access (a refresh token) only with prompt=consent (OIDC Core §11).
    authorizationParams: { prompt: 'consent' },
  };
  const secretBytes = Buffer.from(`Bearer ${tokenSecret}`);
  const secretOk = (header: string | undefined) => {
    const got = Buffer.from(header ?? '');
    return got.length === secretBytes.length && timingSafeEqual(got, secretBytes);
  };
  const store = new DynamoVaultStore(documentClient(dynamo.client), LOCAL_TABLE);
  const sealer = new LocalSealer(key);
  await ensureServerSetup(store, sealer);
  const vault = buildVaultService({
    store, sealer, maxAttempts: parseMaxAttempts(options.maxAttempts), createServerSetup: true,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const repo = new RepoService({
    items: new DynamoRepoItemStore(documentClient(dynamo.client), LOCAL_TABLE),
    objects: new S3ObjectStore(s3.client, s3.bucket),
    clock: options.clock ?? systemClock,
    config: parseRepoConfig({ quotaBytes: options.repoQuotaBytes, urlTtlSeconds: options.urlTtlSeconds }),
  });
  const realm = new RealmService({
    store: new DynamoRealmStore(documentClient(dynamo.client), LOCAL_TABLE), sealer, clock: options.clock ?? systemClock,
    realmId: parseRealmId(options.realm?.id ?? DEFAULT_REALM_ID), maxAttempts: parseMaxAttempts(options.maxAttempts),
    keySeed: () => realmKeySeed(options.dataDir),
  });
  const realmPublicKey = encodeBase64url((await realm.registrationKey()).publicKey);
  const implementations: Record<string, RouteImpl> = {
    ...vaultRoutes(vault, deleteRepositoryHook(() => repo)),
    ...repoRoutes(repo),
    ...authRoutes(signIn),
    ...realmRoutes(() => realm, () => options.realm?.set?.()),
  };

  const budget = new BodyBudget(MAX_BUFFERED_TOTAL);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    if (url.pathname === PROVIDER_PATH || url.pathname.startsWith(`${PROVIDER_PATH}/`)) {
      // The provider reads its own bodies; it sees its paths without the mount point (koa's mountPath convention).
      const r = req as IncomingMessage & { originalUrl?: string };
      r.originalUrl = req.url;
      req.url = (req.url ?? '/').slice(PROVIDER_PATH.length) || '/';
      providerCallback(req, res);
      return;
    }
    /** The body, once the request may be served; undefined after an answer (too large, or too many bodies at once). */
    const readBodyOrAnswer = async (): Promise<Buffer | undefined> => {
      try {
        const { body, done } = await budget.read(req, MAX_BODY_BYTES);
        done(); // the buffer is small and handed on: the budget bounds bodies being read, where memory piles up
        return body;
      } catch (e) {
        if (e instanceof BodyTooLarge) send(res, problemResponse(new BkvError('payload-too-large', `body is over ${MAX_BODY_BYTES} bytes`)), { connection: 'close' });
        else if (e instanceof BodiesBusy) send(res, problemResponse(new BkvError('unavailable', 'too many requests at once; try again shortly')), { 'retry-after': '1' });
        else throw e;
        return undefined;
      }
    };

    if (url.pathname === LOGIN_PATH || url.pathname.startsWith(`${LOGIN_PATH}/`)) {
      const body = await readBodyOrAnswer();
      if (body) await handleLogin(provider, accounts, throttles, req, res, body);
      return;
    }

    if (url.pathname === TOKEN_PATH) {
      if (method !== 'POST') {
        send(res, problemResponse(new BkvError('method-not-allowed', 'use POST')), { allow: 'POST' });
        return;
      }
      if (!secretOk(req.headers.authorization)) {
        send(res, problemResponse(new BkvError('invalid-token', `this shortcut needs the secret in ${TOKEN_SECRET_FILE} of the data dir; sign in with bkv login instead`)));
        return;
      }
      const body = await readBodyOrAnswer();
      if (!body) return;
      const event = { headers: { 'content-type': req.headers['content-type'] ?? '' }, body: body.toString('utf8'), isBase64Encoded: false } as unknown as ApiEvent;
      const tokenRoute: RouteImpl = async (ev) => ({ status: 200, body: { token: await shortcutToken(parseBody(ev, LocalTokenRequest).accountId) } });
      send(res, await respond('local.token', tokenRoute, event, options.observe));
      return;
    }

    const candidates = ROUTES.flatMap((r) => {
      const params = matchPath(r.path, url.pathname);
      return params ? [{ route: r, params }] : [];
    });
    if (candidates.length === 0) {
      send(res, problemResponse(new BkvError('not-found', 'no such route')));
      return;
    }
    const hit = candidates.find((c) => c.route.method === method);
    if (!hit) {
      send(res, problemResponse(new BkvError('method-not-allowed', 'method not allowed on this route')), {
        allow: [...new Set(candidates.map((c) => c.route.method))].join(', '),
      });
      return;
    }
    const impl = implementations[hit.route.id];
    if (!impl) {
      send(res, problemResponse(new BkvError('not-found', 'route not served locally')));
      return;
    }
    let claims;
    if (hit.route.auth !== 'none') {
      try {
        claims = await verifyBearer(verifier, req.headers.authorization);
      } catch (e) {
        send(res, problemResponse(e));
        return;
      }
    }
    // While the database cannot write (a full disk), every route answers 503 at once instead of after retries.
    const fault = dynamo.fault();
    if (fault) {
      send(res, problemResponse(new BkvError(/storage is full/.test(fault) ? 'insufficient-storage' : 'unavailable', fault)));
      return;
    }
    const body = await readBodyOrAnswer();
    if (!body) return;
    const routeKey = `${hit.route.method} ${hit.route.path}`;
    const event = buildEvent({ req, url, routeKey, pathParameters: hit.params, claims: claims ?? {}, body });
    send(res, await respond(hit.route.id, impl, event, options.observe));
  }

  const handleSafely: Handler = (req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, problemResponse(e));
      else res.destroy();
    });
  };
  server.keepAliveTimeout = 5000;
  // A request (headers and its at most 64 KiB body) has 30 s to arrive: a held connection frees its budget share then.
  server.requestTimeout = 30_000;
  const port = (server.address() as AddressInfo).port;
  const runtime: LocalRuntime = {
    url,
    port,
    issuer,
    provider,
    token: (accountId) => shortcutToken(accountId),
    createAccount: (name, password) => accounts.create(name, password),
    tokenSecretFile: join(options.dataDir, TOKEN_SECRET_FILE),
    s3: { endpoint: s3.endpoint, bucket: s3.bucket, directory: s3.directory, client: s3.client },
    dynamo: { socketPath: dynamo.socketPath, table: LOCAL_TABLE, client: dynamo.client },
    trustAnchor: trust ?? { issuer, publicJwk: signing.publicJwk },
    realmPublicKey,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await Promise.all([dynamo.close(), s3.close()]);
      if (options.inMemory) await rm(s3.directory, { recursive: true, force: true });
      await lock.release();
    },
  };
  return { runtime, handle: handleSafely };
}
