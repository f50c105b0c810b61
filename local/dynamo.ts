// In-process DynamoDB for the local runtime and tests: dynalite (real condition-expression semantics; no
// transactions, no TTL, like the MRSC production table), persisted with LevelDB under the data dir.
// Reachable only by the runtime: it listens on a Unix domain socket inside the 0700 data dir (or, for a path too
// long for a socket, in a private 0700 temp dir), never on TCP, and every request must also be SigV4-signed with
// the runtime's own credentials (sigv4.ts; dynalite itself checks no signature).
// Storage faults: dynalite throws any LevelDB error out of a callback (a crash), and LevelDB refuses every write
// after one failed write until it is reopened. Here a failed LevelDB operation answers InternalServerError (the
// SDK's retryable 500, a 503 at the API); while faulted every request gets that answer at once, and the database
// is reopened (LevelDB recovers its log: what was committed stays) as soon as no request is in flight, at most
// once a second, until it opens again.

import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { randomStorageCredentials, type StorageCredentials } from './keys.js';
import { BodyTooLarge, readBody } from './read-body.js';
import { SignatureError, verifySignature } from './sigv4.js';

const require = createRequire(import.meta.url);

interface LevelLike {
  open(): Promise<void>;
  close(): Promise<void>;
}
interface DynaliteStore {
  db: LevelLike;
}
type DynaliteOptions = { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number };
const dynalite = require('dynalite') as (options: DynaliteOptions) => Server;
const dynaliteDb = require(join(require.resolve('dynalite'), '..', 'db', 'index.js')) as { create(options: DynaliteOptions): DynaliteStore };
const { AbstractLevel } = require(require.resolve('abstract-level', { paths: [require.resolve('classic-level', { paths: [require.resolve('level', { paths: [require.resolve('dynalite')] })] })] })) as {
  AbstractLevel: { prototype: Record<string, (...args: unknown[]) => Promise<unknown>> };
};

export const LOCAL_TABLE = 'bkv-vault';
export const LOCAL_DYNAMO_REGION = 'local';
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/** Longest Unix socket path Linux takes (sun_path is 108 bytes with the NUL), with some room. */
const MAX_SOCKET_PATH = 100;

/** What a failed LevelDB operation becomes: an error dynalite answers with (statusCode, body) instead of throwing. */
class StorageFault extends Error {
  readonly statusCode = 500;
  readonly body: { __type: string; message: string };
  constructor(cause: unknown) {
    super('storage fault', { cause });
    const full = /no space|ENOSPC|quota/i.test(String((cause as Error)?.message ?? cause));
    this.body = { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: full ? 'storage is full; try again later' : 'storage is unavailable; try again later' };
  }
}

// LevelDB databases whose failures are turned into StorageFaults and reported to their runtime.
const watched = new WeakMap<object, (fault: StorageFault) => void>();
for (const method of ['get', 'getMany', 'put', 'del', 'batch']) {
  const original = AbstractLevel.prototype[method]!;
  AbstractLevel.prototype[method] = function (this: object, ...args: unknown[]) {
    const report = watched.get(this);
    const result = original.apply(this, args);
    if (!report || !(result instanceof Promise)) return result;
    return result.catch((e: unknown) => {
      const fault = new StorageFault(e);
      report(fault);
      throw fault;
    });
  };
}

function createDynalite(path: string | undefined, onFault: (fault: StorageFault) => void): { handler: (req: IncomingMessage, res: ServerResponse) => void; store: DynaliteStore } {
  const create = dynaliteDb.create;
  let store: DynaliteStore | undefined;
  dynaliteDb.create = (options) => (store = create(options));
  try {
    const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    watched.set(store!.db, onFault);
    return { handler: server.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void, store: store! };
  } finally {
    dynaliteDb.create = create;
  }
}

/** An http.Agent whose connections go to a Unix socket; the request's host is only a name in the signature. */
class UnixSocketAgent extends Agent {
  constructor(private readonly socketPath: string) {
    super({ keepAlive: true });
  }
  override createConnection(_options: unknown, callback?: (err: Error | null, socket: Socket) => void): Socket {
    const socket = createConnection({ path: this.socketPath });
    if (callback) socket.once('connect', () => callback(null, socket));
    return socket;
  }
}

/** A DynamoDB client that reaches the local DynamoDB over its Unix socket, signing with `credentials`. */
export function localDynamoClient(socketPath: string, credentials: StorageCredentials): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: 'http://dynamodb.bkv.local', region: LOCAL_DYNAMO_REGION, credentials, maxAttempts: 3,
    requestHandler: { httpAgent: new UnixSocketAgent(socketPath) },
  });
}

export interface LocalDynamo {
  client: DynamoDBClient;
  /** The Unix socket dynalite answers on (mode 0700 directory around it). */
  socketPath: string;
  /** Why storage is failing right now ('storage is full; …'), or undefined when it works. */
  fault(): string | undefined;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const AUTH_ERRORS: Record<SignatureError['kind'], string> = {
  'missing': 'com.amazon.coral.service#MissingAuthenticationTokenException',
  'malformed': 'com.amazon.coral.service#IncompleteSignatureException',
  'access-key': 'com.amazon.coral.service#UnrecognizedClientException',
  'expired': 'com.amazon.coral.service#InvalidSignatureException',
  'mismatch': 'com.amazon.coral.service#InvalidSignatureException',
};


async function socketPathFor(dir: string | undefined): Promise<{ path: string; privateDir?: string }> {
  if (dir && join(dir, 'dynamodb.sock').length <= MAX_SOCKET_PATH) return { path: join(dir, 'dynamodb.sock') };
  const privateDir = await mkdtemp(join(tmpdir(), 'bkv-ddb-')); // 0700
  return { path: join(privateDir, 's'), privateDir };
}

export interface DynamoOptions {
  /** The only credentials accepted (default: random, for this instance alone). */
  credentials?: StorageCredentials;
  /** Where the socket goes, a 0700 directory (default: a private temp dir). */
  socketDir?: string;
}

/**
 * Starts dynalite (in memory when `path` is undefined) on a Unix socket, accepting only requests signed with
 * the credentials, and creates the table if it is missing.
 */
export async function startDynamo(path: string | undefined, tableName = LOCAL_TABLE, options: DynamoOptions = {}): Promise<LocalDynamo> {
  const credentials = options.credentials ?? randomStorageCredentials();
  const socketDir = options.socketDir;
  let fault: StorageFault | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const onFault = (f: StorageFault) => {
    fault ??= f;
    // Retry on a timer too: while faulted the runtime may send nothing here.
    timer ??= setInterval(() => {
      if (!fault || closed) {
        clearInterval(timer);
        timer = undefined;
      } else maybeRecover();
    }, 1000).unref();
  };
  let current = createDynalite(path, onFault);
  let inFlight = 0;
  let lastTry = 0;
  let recovering: Promise<void> | undefined;

  async function recover(): Promise<void> {
    if (!path) {
      fault = undefined; // memory-level: nothing on disk to reopen
      return;
    }
    lastTry = Date.now();
    watched.delete(current.store.db); // closed from here on: its "not open" errors are no news
    await current.store.db.close().catch(() => undefined);
    const next = createDynalite(path, onFault);
    try {
      await next.store.db.open();
      current = next;
      fault = undefined;
    } catch (e) {
      await next.store.db.close().catch(() => undefined);
      current = next; // closed: the next try reopens it
      onFault(new StorageFault(e));
    }
  }

  function maybeRecover(): void {
    if (!fault || closed || recovering || inFlight > 0 || Date.now() - lastTry < 1000) return;
    recovering = recover().finally(() => (recovering = undefined));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Buffer;
    try {
      body = await readBody(req, MAX_REQUEST_BYTES);
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e;
      return send(res, 413, 'com.amazon.coral.service#SerializationException', 'request too large');
    }
    try {
      await verifySignature({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body }, {
        credentials, region: LOCAL_DYNAMO_REGION, service: 'dynamodb', uriEscapePath: true,
      });
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
      return send(res, 400, AUTH_ERRORS[e.kind], e.kind === 'access-key' ? 'The security token included in the request is invalid.' : e.message);
    }
    maybeRecover();
    if (recovering) await recovering;
    if (fault) return send(res, 500, fault.body.__type, fault.body.message);
    const replay = Object.assign(Readable.from(body.length > 0 ? [body] : []), { headers: req.headers, method: req.method, url: req.url });
    inFlight++;
    res.once('close', () => {
      inFlight--;
      maybeRecover();
    });
    current.handler(replay as unknown as IncomingMessage, res);
  }

  const socket = await socketPathFor(socketDir);
  await unlink(socket.path).catch(() => undefined); // a previous run's (we hold the data dir lock)
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socket.path, () => resolve());
  });
  const client = localDynamoClient(socket.path, credentials);
  const close = async () => {
    closed = true;
    if (timer) clearInterval(timer);
    client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await recovering;
    await current.store.db.close().catch(() => undefined);
    await rm(socket.privateDir ?? socket.path, { recursive: true, force: true });
  };
  try {
    await ensureTable(client, tableName);
  } catch (e) {
    await close();
    throw e;
  }
  return { client, socketPath: socket.path, fault: () => fault?.body.message, close };
}

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch {
    try {
      await client.send(new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }));
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
    // dynalite answers ResourceNotFound until the new table turns ACTIVE (a timer, later still on LevelDB).
    for (let i = 0; ; i++) {
      const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (out.Table?.TableStatus === 'ACTIVE') break;
      if (i >= 500) throw new Error(`table ${tableName} did not become active`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
