// The local runtime: the same route implementations the Lambdas run, behind node:http on one machine, fed the
// events API Gateway would build (JWT checked here in place of the authorizer), with dynalite as DynamoDB and
// an AES-256-GCM sealer whose key lives in the data dir.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { MAX_BODY_BYTES } from '../protocol/constants.js';
import { BkvError } from '../protocol/errors.js';
import { LocalTokenRequest } from '../protocol/schemas.js';
import { DynamoVaultStore } from '../functions/adapters/dynamo-vault-store.js';
import { LocalSealer } from '../functions/adapters/local-sealer.js';
import { parseMaxAttempts } from '../functions/config.js';
import { parseBody, type ApiEvent } from '../functions/http/request.js';
import { problemResponse } from '../functions/http/problem.js';
import { respond, type Observer, type RouteImpl } from '../functions/http/route.js';
import type { Clock } from '../functions/ports.js';
import { ROUTES, matchPath } from '../functions/routes.js';
import { buildVaultService, documentClient } from '../functions/vault/deps.js';
import { ensureServerSetup } from '../functions/vault/opaque.js';
import { vaultRoutes } from '../functions/vault/routes.js';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { issueToken, verifyBearer } from './auth.js';
import { startDynamo, LOCAL_TABLE, type LocalDynamo } from './dynamo.js';
import { buildEvent } from './event.js';
import { ensureDataDir, lockDataDir, sealerKey, tokenKeys, type DataDirLock, type TokenKeys } from './keys.js';

export interface LocalOptions {
  /** Where data and keys persist; undefined keeps DynamoDB in memory (keys still go to `keyDir`). */
  dataDir: string;
  /** Keep DynamoDB in memory instead of under dataDir (tests). */
  inMemory?: boolean;
  port?: number;
  host?: string;
  maxAttempts?: number | string;
  clock?: Clock;
  observe?: Observer;
}

export interface LocalRuntime {
  url: string;
  port: number;
  /** Issues a local token, as `POST /local/v1/token` does. */
  token(accountId: string): Promise<string>;
  close(): Promise<void>;
}

const TOKEN_PATH = '/local/v1/token';

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2, extraHeaders: Record<string, string> = {}): void {
  const headers: Record<string, string> = { ...extraHeaders };
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.body ?? '');
}

export async function startLocal(options: LocalOptions): Promise<LocalRuntime> {
  await ensureDataDir(options.dataDir);
  const lock = await lockDataDir(options.dataDir);
  let server: Server | undefined;
  let dynamo: LocalDynamo | undefined;
  try {
    // Take the port first, so a second copy fails fast and clearly before touching the data.
    server = createServer();
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    const [d, key, keys] = await Promise.all([
      startDynamo(options.inMemory ? undefined : join(options.dataDir, 'dynamodb'), LOCAL_TABLE),
      sealerKey(options.dataDir),
      tokenKeys(options.dataDir),
    ]);
    dynamo = d;
    return await serve(options, server, d, key, keys, lock);
  } catch (e) {
    if (server?.listening) await new Promise((r) => server!.close(r));
    await dynamo?.close();
    await lock.release();
    throw e;
  }
}

async function serve(options: LocalOptions, server: Server, dynamo: LocalDynamo, key: Uint8Array, keys: TokenKeys, lock: DataDirLock): Promise<LocalRuntime> {
  const store = new DynamoVaultStore(documentClient(dynamo.client), LOCAL_TABLE);
  const sealer = new LocalSealer(key);
  await ensureServerSetup(store, sealer);
  const vault = buildVaultService({
    store, sealer, maxAttempts: parseMaxAttempts(options.maxAttempts), createServerSetup: true,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const implementations: Record<string, RouteImpl> = { ...vaultRoutes(vault) };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e;
      send(res, problemResponse(new BkvError('payload-too-large', `body is over ${MAX_BODY_BYTES} bytes`)), { connection: 'close' });
      return;
    }

    if (url.pathname === TOKEN_PATH) {
      if (method !== 'POST') {
        send(res, problemResponse(new BkvError('method-not-allowed', 'use POST')), { allow: 'POST' });
        return;
      }
      const event = { headers: { 'content-type': req.headers['content-type'] ?? '' }, body: body.toString('utf8'), isBase64Encoded: false } as unknown as ApiEvent;
      const tokenRoute: RouteImpl = async (ev) => ({ status: 200, body: { token: await issueToken(keys, parseBody(ev, LocalTokenRequest).accountId) } });
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
    try {
      claims = await verifyBearer(keys, req.headers.authorization);
    } catch (e) {
      send(res, problemResponse(e));
      return;
    }
    const routeKey = `${hit.route.method} ${hit.route.path}`;
    const event = buildEvent({ req, url, routeKey, pathParameters: hit.params, claims, body });
    send(res, await respond(hit.route.id, impl, event, options.observe));
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, problemResponse(e));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    token: (accountId) => issueToken(keys, accountId),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dynamo.close();
      await lock.release();
    },
  };
}
