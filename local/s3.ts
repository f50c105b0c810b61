// In-process S3 for the local runtime and tests: s3rver (files under a directory; presigned URLs and multipart
// work), silenced, with one bucket created at start. It listens on loopback TCP (clients PUT and GET presigned
// URLs directly), so anyone on the machine can reach it; s3rver checks no V4 signature, so the first thing in
// front of it does (sigv4.ts): every request must be signed with the runtime's own credentials, in its
// Authorization header (the runtime's SDK calls) or as a presigned URL (method, key, expiry all signed); anything
// else is a 403 S3 error and changes nothing.
// A small shim adds what the storage API needs and s3rver 3.7 lacks, answering like S3: AbortMultipartUpload,
// ListMultipartUploads, NoSuchUpload for parts of an unknown upload, and the checks of CompleteMultipartUpload
// (NoSuchUpload, InvalidPartOrder, InvalidPart, EntityTooSmall).
// Storage faults: s3rver writes objects and parts in place with no 'error' listener on its write streams, so a
// full disk crashed the process and could truncate an object. Objects and parts are written aside and renamed into
// place once whole, and a full disk (or another I/O fault) answers 503 SlowDown.

import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { backupS3Client } from '../functions/adapters/s3-blob-store.js';
import { tempPath, type StorageCredentials } from './keys.js';
import { BodyTooLarge, readBody } from './read-body.js';
import { SignatureError, verifySignature } from './sigv4.js';

const require = createRequire(import.meta.url);

export const LOCAL_BUCKET = 'bkv-backups';
export const LOCAL_S3_REGION = 'us-east-1';
/** Largest body of a request signed in its header (the runtime's own calls: CompleteMultipartUpload and such). */
const MAX_SIGNED_BODY = 16 * 1024 * 1024;
/** errno codes that mean "the storage under the data dir cannot take this now". */
export const STORAGE_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE']);
const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** The parts of Koa's context the shim touches. */
interface KoaContext {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  query: Record<string, string | string[] | undefined>;
  req: NodeJS.ReadableStream;
  status: number;
  type: string;
  body: unknown;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3ObjectLike {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: Record<string, string>;
}
interface S3rverStore {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putObject(object: S3ObjectLike): Promise<{ size: number; md5: string }>;
  putPart(bucket: string, uploadId: string, partNumber: number, content: Readable): Promise<{ size: number; md5: string }>;
}

interface S3rverApp {
  middleware: Middleware[];
  store: S3rverStore;
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverCtor = new (options: Record<string, unknown>) => S3rverApp;
type S3ErrorCtor = new (code: string, message: string) => Error;

export interface LocalS3 {
  client: S3Client;
  endpoint: string;
  bucket: string;
  /** Where s3rver keeps the bucket's files. */
  directory: string;
  /** When the last storage fault (full disk) was seen, for the runtime's own 503s; 0 if none. */
  lastFault(): number;
  close(): Promise<void>;
}

const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const unquote = (s: string) => s.replaceAll('&quot;', '').replaceAll('&#34;', '').replaceAll('"', '').trim();


function shim(app: S3rverApp, S3Error: S3ErrorCtor): Middleware {
  const uploadsDir = (bucket: string) => app.store.getResourcePath(bucket, undefined, 'uploads');
  const noSuchUpload = () => new S3Error('NoSuchUpload', 'The specified upload does not exist.');

  /** The upload's directory, if `uploadId` names an upload of `key`. */
  async function upload(bucket: string, key: string, uploadId: unknown): Promise<string> {
    if (typeof uploadId !== 'string' || !UPLOAD_ID.test(uploadId)) throw noSuchUpload();
    const dir = join(uploadsDir(bucket), uploadId);
    const stored = await readFile(join(dir, 'key'), 'utf8').catch(() => undefined);
    if (stored !== key) throw noSuchUpload();
    return dir;
  }

  async function listUploads(ctx: KoaContext, bucket: string): Promise<void> {
    const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
    const dir = uploadsDir(bucket);
    const entries: string[] = [];
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      if (!UPLOAD_ID.test(id)) continue;
      const keyFile = join(dir, id, 'key');
      const [key, info] = await Promise.all([readFile(keyFile, 'utf8').catch(() => undefined), stat(keyFile).catch(() => undefined)]);
      if (key === undefined || !info || !key.startsWith(prefix)) continue;
      entries.push(`<Upload><Key>${xml(key)}</Key><UploadId>${id}</UploadId><Initiated>${info.mtime.toISOString()}</Initiated></Upload>`);
    }
    ctx.status = 200;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
      + `<Bucket>${xml(bucket)}</Bucket><Prefix>${xml(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>`
      + `${entries.join('')}</ListMultipartUploadsResult>`;
  }

  async function checkComplete(ctx: KoaContext, dir: string): Promise<void> {
    const body = await readBody(ctx.req);
    const parts = [...body.toString('utf8').matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
      number: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(m[1] ?? '')?.[1]),
      etag: unquote(/<ETag>([\s\S]*?)<\/ETag>/.exec(m[1] ?? '')?.[1] ?? ''),
    }));
    for (let i = 1; i < parts.length; i++) {
      if ((parts[i]?.number ?? 0) <= (parts[i - 1]?.number ?? 0)) {
        throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order.');
      }
    }
    for (const [i, part] of parts.entries()) {
      const file = join(dir, String(part.number));
      const [md5, info] = await Promise.all([readFile(`${file}.md5`, 'utf8').catch(() => undefined), stat(file).catch(() => undefined)]);
      if (!Number.isInteger(part.number) || md5 === undefined || !info || md5.trim() !== part.etag) {
        throw new S3Error('InvalidPart', 'One or more of the specified parts could not be found.');
      }
      if (i < parts.length - 1 && info.size < S3_MIN_PART_BYTES) {
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.');
      }
    }
    ctx.req = Readable.from([body]); // s3rver reads the body again
  }

  return async (ctx, next) => {
    const [bucket = '', ...rest] = ctx.path.slice(1).split('/');
    const key = decodeURIComponent(rest.join('/'));
    const has = (name: string) => Object.hasOwn(ctx.query, name);
    if (ctx.method === 'GET' && key === '' && has('uploads')) return listUploads(ctx, bucket);
    if (key !== '' && has('uploadId')) {
      const dir = await upload(bucket, key, ctx.query.uploadId);
      if (ctx.method === 'DELETE') {
        await rm(dir, { recursive: true, force: true });
        ctx.status = 204;
        ctx.body = '';
        return;
      }
      if (ctx.method === 'POST') await checkComplete(ctx, dir);
    }
    return next();
  };
}

const ACCESS_ERRORS: Record<SignatureError['kind'], [string, string]> = {
  'missing': ['AccessDenied', 'Access Denied'],
  'malformed': ['AccessDenied', 'Access Denied'],
  'access-key': ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'],
  'expired': ['AccessDenied', 'Request has expired'],
  'mismatch': ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'],
};

/** First in the chain: refuses (403) every request not signed with `credentials`; maps storage faults to 503. */
function authenticate(credentials: StorageCredentials, S3Error: S3ErrorCtor, onFault: () => void): Middleware {
  return async (ctx, next) => {
    const contentSha = ctx.headers['x-amz-content-sha256'];
    let body: Buffer | undefined;
    if (ctx.headers.authorization !== undefined && typeof contentSha === 'string' && /^[0-9a-f]{64}$/.test(contentSha)) {
      body = await readBody(ctx.req, MAX_SIGNED_BODY).catch((e: unknown) => {
        throw e instanceof BodyTooLarge ? new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size') : e;
      });
    }
    try {
      await verifySignature({ method: ctx.method, url: ctx.url, headers: ctx.headers, ...(body ? { body } : {}) }, {
        credentials, region: LOCAL_S3_REGION, service: 's3', uriEscapePath: false,
      });
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
      const [code, message] = ACCESS_ERRORS[e.kind];
      if (!body) ctx.req.resume();
      throw new S3Error(code, message);
    }
    if (body) ctx.req = Readable.from([body]); // read once here; s3rver reads it again
    try {
      await next();
    } catch (e) {
      if (!STORAGE_FAULTS.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
      onFault();
      ctx.req.resume();
      throw new S3Error('SlowDown', 'storage is full; try again later');
    }
  };
}

/** Streams `content` into a file beside `path` (mode 0600) and returns its size and MD5; the caller renames it. */
async function writeAside(path: string, content: Buffer | Readable): Promise<{ tmp: string; size: number; md5: string }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = tempPath(path);
  const md5 = createHash('md5');
  let size = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
  try {
    // The source is piped, not pipelined: a failed write must not destroy the request, which still gets a 503.
    source.pipe(count);
    source.once('error', (e) => count.destroy(e));
    await pipeline(count, createWriteStream(tmp, { flags: 'wx', mode: 0o600 }));
    return { tmp, size, md5: md5.digest('hex') };
  } catch (e) {
    source.unpipe(count);
    source.resume();
    await rm(tmp, { force: true });
    throw e;
  }
}

async function writeFileAside(path: string, data: string): Promise<string> {
  const tmp = tempPath(path);
  try {
    await writeFile(tmp, data, { flag: 'wx', mode: 0o600 });
    return tmp;
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** s3rver's putObject and putPart, but whole-or-nothing and with every write error reported to the caller. */
function safeWrites(store: S3rverStore, allowedMetadata: readonly string[]): void {
  store.putObject = async (object) => {
    const objectPath = store.getResourcePath(object.bucket, object.key, 'object');
    const written = await writeAside(objectPath, object.content);
    const pending = [written.tmp];
    try {
      const meta: Record<string, string> = {};
      for (const [k, v] of Object.entries(object.metadata)) if (allowedMetadata.includes(k) || k.startsWith('x-amz-meta-')) meta[k] = v;
      const md5Path = store.getResourcePath(object.bucket, object.key, 'object.md5');
      const metaPath = store.getResourcePath(object.bucket, object.key, 'metadata.json');
      const md5Tmp = await writeFileAside(md5Path, written.md5);
      pending.push(md5Tmp);
      const metaTmp = await writeFileAside(metaPath, JSON.stringify(meta, null, 2));
      pending.push(metaTmp);
      await rename(md5Tmp, md5Path);
      await rename(metaTmp, metaPath);
      await rename(written.tmp, objectPath); // the object appears last, whole
      return { size: written.size, md5: written.md5 };
    } finally {
      await Promise.all(pending.map((p) => rm(p, { force: true })));
    }
  };
  store.putPart = async (bucket, uploadId, partNumber, content) => {
    const partPath = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId, String(partNumber));
    const written = await writeAside(partPath, content);
    const pending = [written.tmp];
    try {
      const md5Tmp = await writeFileAside(`${partPath}.md5`, written.md5);
      pending.push(md5Tmp);
      await rename(written.tmp, partPath);
      await rename(md5Tmp, `${partPath}.md5`);
      return { size: written.size, md5: written.md5 };
    } finally {
      await Promise.all(pending.map((p) => rm(p, { force: true })));
    }
  };
}

/**
 * Starts s3rver on a free loopback port over `directory`, creating `bucket`, accepting only requests signed with
 * `credentials`; the client (signing with them) is set up for presigning.
 */
export async function startS3(directory: string, credentials: StorageCredentials, bucket = LOCAL_BUCKET): Promise<LocalS3> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const S3rver = require('s3rver') as S3rverCtor;
  const S3Error = require('s3rver/lib/models/error.js') as S3ErrorCtor;
  const { ALLOWED_METADATA } = require('s3rver/lib/models/object.js') as { ALLOWED_METADATA: string[] };
  // s3rver's own check only looks the access key up (it verifies no V4 signature): ours is the one it knows.
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
  DUMMY_ACCOUNT.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);

  const app = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  safeWrites(app.store, ALLOWED_METADATA);
  let lastFault = 0;
  // Before s3rver's own middleware (logger, router), so these answers go out as S3 would send them.
  app.middleware.splice(1, 0, authenticate(credentials, S3Error, () => (lastFault = Date.now())), shim(app, S3Error));
  const address = await app.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = backupS3Client({
    endpoint, region: LOCAL_S3_REGION, forcePathStyle: true, credentials, maxAttempts: 3,
  });
  return {
    client,
    endpoint,
    bucket,
    directory,
    lastFault: () => lastFault,
    close: async () => {
      client.destroy();
      app.httpServer?.closeAllConnections();
      await app.close();
    },
  };
}
