// In-process S3 for the local runtime and tests: s3rver (files under a directory; presigned URLs and multipart
// work; it does not verify signatures, but it does refuse expired URLs), silenced, with one bucket created at
// start. A small shim in front of it adds what the storage API needs and s3rver 3.7 lacks, answering like S3:
// AbortMultipartUpload, ListMultipartUploads, NoSuchUpload for parts of an unknown upload, and the checks of
// CompleteMultipartUpload (NoSuchUpload, InvalidPartOrder, InvalidPart, EntityTooSmall).

import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { backupS3Client } from '../functions/adapters/s3-blob-store.js';
import { LOCAL_CREDENTIALS } from './dynamo.js';

const require = createRequire(import.meta.url);

export const LOCAL_BUCKET = 'bkv-backups';
const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** The parts of Koa's context the shim touches. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  req: NodeJS.ReadableStream;
  status: number;
  type: string;
  body: unknown;
}
type Middleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3rverApp {
  middleware: Middleware[];
  store: { getResourcePath(bucket: string, key: string | undefined, resource: string): string };
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
  close(): Promise<void>;
}

const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
const unquote = (s: string) => s.replaceAll('&quot;', '').replaceAll('&#34;', '').replaceAll('"', '').trim();

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

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
    const body = await readAll(ctx.req);
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

/** Starts s3rver on a free port over `directory`, creating `bucket`; the client is set up for presigning. */
export async function startS3(directory: string, bucket = LOCAL_BUCKET): Promise<LocalS3> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const S3rver = require('s3rver') as S3rverCtor;
  const S3Error = require('s3rver/lib/models/error.js') as S3ErrorCtor;
  const { DUMMY_ACCOUNT } = require('s3rver/lib/models/account.js') as { DUMMY_ACCOUNT: { createKeyPair(id: string, secret: string): void } };
  DUMMY_ACCOUNT.createKeyPair(LOCAL_CREDENTIALS.accessKeyId, LOCAL_CREDENTIALS.secretAccessKey);

  const app = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  // Before s3rver's own middleware (logger, router), so the shim's answers go out as S3 would send them.
  app.middleware.splice(1, 0, shim(app, S3Error));
  const address = await app.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = backupS3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, credentials: LOCAL_CREDENTIALS, maxAttempts: 3,
  });
  return {
    client,
    endpoint,
    bucket,
    directory,
    close: async () => {
      client.destroy();
      app.httpServer?.closeAllConnections();
      await app.close();
    },
  };
}
