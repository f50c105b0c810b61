// The local runtime's object store: a small, fast, file-backed subset of S3 on loopback TCP, exactly what the AWS
// SDK calls and the presigned URLs of the repository service need (docs/protocol.md "Repository API"):
// PutObject (streamed to a temporary file beside the target, renamed into place: never a partial object; with
// `If-None-Match: *`, which every presigned upload URL signs, only if no object is there: 412 otherwise, atomically),
// GetObject (streamed from the file; `Range: bytes=a-b` → 206 with Content-Range, 416 when unsatisfiable),
// HeadObject, DeleteObject, DeleteObjects and ListObjectsV2 (prefix, start-after, continuation-token, max-keys).
// Deletion is deferred as in a versioned bucket (object-store/trash.ts): a deleted object goes to a trash for the
// retention; ListObjectVersions (prefix, key-marker, max-keys; only keys that have deleted versions) shows it as a
// delete marker over a noncurrent version, and DeleteObject of that marker's versionId puts it back.
// Objects are plain files at `<directory>/<bucket>/<key>` (object-store/files.ts). Anyone on the machine can reach
// the port, so every request must be signed with the runtime's own credentials (sigv4.ts): in its Authorization
// header (the runtime's SDK calls) or as a presigned URL (method, key, expiry and signed headers, content-length
// included); anything else is a 403 S3 error and changes nothing. The signature is checked from the headers alone,
// before any body is read (a header-signed payload hash is checked as the body streams in, before anything is
// committed), so a request that is not signed by the runtime is answered without its body ever being held; bodies
// kept in memory (DeleteObjects) are bounded per request and in total. Storage faults (a full disk) answer 507
// InsufficientStorage and leave what was stored intact.

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { repoS3Client } from '../functions/adapters/s3-object-store.js';
import { checkKey, commit, commitNew, etagOf, listObjects, objectPath, sendRange, statObject, writeAside } from './object-store/files.js';
import { parseRange } from './object-store/range.js';
import { DELETED_RETENTION_DAYS } from '../protocol/settings.js';
import { Trash } from './object-store/trash.js';
import { deleteResult, listBucketResult, listVersionsResult, parseDeleteRequest, S3Error, type VersionEntry } from './object-store/xml.js';
import type { StorageCredentials } from './keys.js';
import { BodiesBusy, BodyBudget, BodyTooLarge } from './read-body.js';
import { sameHex, SignatureError, verifySignature } from './sigv4.js';

export const LOCAL_BUCKET = 'bkv-backups';
export const LOCAL_S3_REGION = 'us-east-1';
/** Largest body held in memory, of a request signed in its header (the runtime's own DeleteObjects of 1000 keys). */
const MAX_BUFFERED_BODY = 1024 * 1024;
/** Bytes of bodies held in memory at once, all connections together (signed requests only). */
const MAX_BUFFERED_TOTAL = 16 * 1024 * 1024;
/** S3's limit of a single PUT. */
const MAX_PUT_BYTES = 5 * 1024 ** 3;
/** errno codes that mean "the storage under the data dir cannot take this now". */
export const STORAGE_FAULTS = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'EMFILE', 'ENFILE']);

export interface LocalS3 {
  client: S3Client;
  endpoint: string;
  bucket: string;
  /** Where objects are kept: the object `<key>` of the bucket is the file `<directory>/<bucket>/<key>`. */
  directory: string;
  /** When the last storage fault (full disk) was seen; 0 if none. */
  lastFault(): number;
  close(): Promise<void>;
}

const ACCESS_ERRORS: Record<SignatureError['kind'], [string, string]> = {
  'missing': ['AccessDenied', 'Access Denied'],
  'malformed': ['AccessDenied', 'Access Denied'],
  'access-key': ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.'],
  'expired': ['AccessDenied', 'Request has expired'],
  'mismatch': ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'],
};

const noSuchKey = (key: string) => new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', key);
const notImplemented = () => new S3Error(501, 'NotImplemented', 'A header or query you provided implies functionality that is not implemented.');

function one(query: URLSearchParams, name: string): string | undefined {
  return query.get(name) ?? undefined;
}


export interface S3Options {
  bucket?: string;
  /** Days deleted objects are kept in the trash (default 30). */
  deletedRetentionDays?: number;
  now?: () => number;
}

export async function startS3(directory: string, credentials: StorageCredentials, options: S3Options = {}): Promise<LocalS3> {
  const bucket = options.bucket ?? LOCAL_BUCKET;
  await mkdir(join(directory, bucket), { recursive: true, mode: 0o700 });
  let lastFault = 0;
  const bucketDir = join(directory, bucket);
  const trash = new Trash(bucketDir, join(directory, `.trash-${bucket}`), options.deletedRetentionDays ?? DELETED_RETENTION_DAYS.default, options.now);

  const budget = new BodyBudget(MAX_BUFFERED_TOTAL);

  /** Checks the signature from the headers alone; the body is not touched. Returns the payload hash still to check. */
  async function authenticate(req: IncomingMessage): Promise<string | undefined> {
    try {
      const verified = await verifySignature({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers }, {
        credentials, region: LOCAL_S3_REGION, service: 's3', uriEscapePath: false,
      });
      return verified.payloadSha256;
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
      const [code, message] = ACCESS_ERRORS[e.kind];
      throw new S3Error(403, code, message);
    }
  }

  const hashMismatch = () => new S3Error(400, 'XAmzContentSHA256Mismatch', 'The provided \'x-amz-content-sha256\' header does not match what was computed.');

  /** The body of an authenticated request, bounded, within the shared budget, checked against its signed hash. */
  async function readSigned(req: IncomingMessage, payloadSha256: string | undefined): Promise<{ body: Buffer; done: () => void }> {
    let read: { body: Buffer; done: () => void };
    try {
      read = await budget.read(req, MAX_BUFFERED_BODY);
    } catch (e) {
      if (e instanceof BodyTooLarge) throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
      if (e instanceof BodiesBusy) throw new S3Error(503, 'SlowDown', 'Please reduce your request rate.');
      throw e;
    }
    if (payloadSha256 !== undefined && !sameHex(createHash('sha256').update(read.body).digest('hex'), payloadSha256)) {
      read.done();
      throw hashMismatch();
    }
    return read;
  }

  function headers(res: ServerResponse, size: number, etag: string, mtimeMs: number): void {
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('etag', etag);
    res.setHeader('last-modified', new Date(mtimeMs).toUTCString());
    res.setHeader('accept-ranges', 'bytes');
    res.setHeader('content-length', String(size));
  }

  async function getObject(req: IncomingMessage, res: ServerResponse, key: string, head: boolean): Promise<void> {
    const path = objectPath(bucketDir, key);
    const s = await statObject(path);
    if (!s) throw noSuchKey(key);
    const range = parseRange(head ? undefined : req.headers.range, s.size);
    if (range.kind === 'unsatisfiable') {
      res.setHeader('content-range', `bytes */${s.size}`);
      throw new S3Error(416, 'InvalidRange', 'The requested range is not satisfiable');
    }
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, s.size - 1];
    headers(res, end - start + 1, etagOf(s), s.mtimeMs);
    if (range.kind === 'partial') res.setHeader('content-range', `bytes ${start}-${end}/${s.size}`);
    res.statusCode = range.kind === 'partial' ? 206 : 200;
    if (head || s.size === 0) {
      res.end();
      return;
    }
    await sendRange(path, start, end, res);
  }

  async function putObject(req: IncomingMessage, res: ServerResponse, key: string, payloadSha256: string | undefined): Promise<void> {
    const declared = req.headers['content-length'];
    if (declared === undefined || !/^\d+$/.test(declared)) throw new S3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    if (Number(declared) > MAX_PUT_BYTES) throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
    const condition = req.headers['if-none-match'];
    if (condition !== undefined && condition !== '*') throw notImplemented(); // S3 takes only '*' on a PUT
    if (req.headers['if-match'] !== undefined) throw notImplemented();
    const path = objectPath(bucketDir, key);
    // refused before the body is read when the object is already there (and again, atomically, at the link)
    if (condition === '*' && (await statObject(path))) throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', key);
    const hash = payloadSha256 !== undefined ? createHash('sha256') : undefined;
    const { tmp, size } = await writeAside(path, req, hash ? (c) => hash.update(c) : undefined);
    if (size !== Number(declared)) {
      await rm(tmp, { force: true });
      throw new S3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
    }
    if (hash && !sameHex(hash.digest('hex'), payloadSha256!)) {
      await rm(tmp, { force: true });
      throw hashMismatch();
    }
    await (condition === '*' ? commitNew(tmp, path, key) : commit(tmp, path));
    const s = await statObject(path);
    res.statusCode = 200;
    if (s) res.setHeader('etag', etagOf(s));
    res.end();
  }

  async function deleteObject(res: ServerResponse, key: string, versionId: string | undefined): Promise<void> {
    if (versionId !== undefined) {
      // only delete markers can be removed here (undelete); a noncurrent version is purged by the retention alone
      if (!versionId.startsWith('d')) throw new S3Error(400, 'InvalidArgument', 'only a delete marker may be removed in this object store');
      if (!(await trash.restore(key, versionId))) throw new S3Error(404, 'NoSuchVersion', 'The specified version does not exist.', key);
      res.setHeader('x-amz-delete-marker', 'true');
      res.setHeader('x-amz-version-id', versionId);
    } else await trash.put(key);
    res.statusCode = 204;
    res.end();
  }

  async function listVersions(res: ServerResponse, query: URLSearchParams): Promise<void> {
    if (query.has('delimiter') || query.has('version-id-marker')) throw notImplemented();
    const prefix = one(query, 'prefix') ?? '';
    const keyMarker = one(query, 'key-marker') ?? '';
    const maxText = one(query, 'max-keys') ?? '1000';
    if (!/^\d{1,7}$/.test(maxText)) throw new S3Error(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
    const maxKeys = Math.max(1, Math.min(1000, Number(maxText)));
    const found = await trash.versions(prefix, keyMarker, maxKeys);
    const page = found.slice(0, maxKeys);
    const entries: VersionEntry[] = [];
    for (const k of page) {
      if (k.live) entries.push({ key: k.key, versionId: 'null', latest: true, mtimeMs: k.live.mtimeMs, object: k.live });
      k.trashed.forEach((t, i) => {
        entries.push({ key: k.key, versionId: t.markerId, latest: !k.live && i === 0, mtimeMs: t.deletedAt });
        entries.push({ key: k.key, versionId: t.versionId, latest: false, mtimeMs: t.mtimeMs, object: { size: t.size, etag: t.etag } });
      });
    }
    xmlAnswer(res, 200, listVersionsResult({
      bucket, prefix, keyMarker, maxKeys, entries, ...(found.length > maxKeys ? { nextKeyMarker: page.at(-1)!.key } : {}),
    }));
  }

  async function deleteObjects(req: IncomingMessage, res: ServerResponse, payloadSha256: string | undefined): Promise<void> {
    const { body, done } = await readSigned(req, payloadSha256);
    let parsed: ReturnType<typeof parseDeleteRequest>;
    try {
      parsed = parseDeleteRequest(body.toString('utf8'));
    } finally {
      done();
    }
    const { keys, quiet } = parsed;
    for (const key of keys) {
      try {
        checkKey(key);
      } catch {
        continue; // no such object can exist
      }
      await trash.put(key);
    }
    xmlAnswer(res, 200, deleteResult(quiet ? [] : keys));
  }

  async function listV2(res: ServerResponse, query: URLSearchParams): Promise<void> {
    if (query.has('delimiter')) throw notImplemented();
    const prefix = one(query, 'prefix') ?? '';
    const startAfter = one(query, 'start-after');
    const token = one(query, 'continuation-token');
    const maxText = one(query, 'max-keys') ?? '1000';
    if (!/^\d{1,7}$/.test(maxText)) throw new S3Error(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
    const maxKeys = Math.min(1000, Number(maxText));
    let after = startAfter ?? '';
    if (token !== undefined) {
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      if (token === '' || Buffer.from(decoded, 'utf8').toString('base64url') !== token) {
        throw new S3Error(400, 'InvalidArgument', 'The continuation token provided is incorrect');
      }
      if (decoded > after) after = decoded;
    }
    const found = maxKeys === 0 ? [] : await listObjects(bucketDir, prefix, after, maxKeys);
    const truncated = found.length > maxKeys;
    const objects = found.slice(0, maxKeys);
    const urlEncode = one(query, 'encoding-type') === 'url';
    xmlAnswer(res, 200, listBucketResult({
      bucket, prefix, maxKeys, truncated, objects,
      encode: urlEncode ? (k) => k.split('/').map(encodeURIComponent).join('/') : (k) => k,
      ...(startAfter !== undefined ? { startAfter } : {}),
      ...(token !== undefined ? { continuationToken: token } : {}),
      ...(truncated ? { nextContinuationToken: Buffer.from(objects.at(-1)!.key, 'utf8').toString('base64url') } : {}),
    }));
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const method = req.method ?? 'GET';
    const payloadSha256 = await authenticate(req);
    const [bucketName = '', ...rest] = url.pathname.slice(1).split('/');
    let key: string;
    try {
      key = decodeURIComponent(rest.join('/'));
    } catch {
      throw new S3Error(400, 'InvalidURI', 'Couldn\'t parse the specified URI.');
    }
    if (bucketName === '') throw notImplemented();
    if (decodeURIComponent(bucketName) !== bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    const q = url.searchParams;
    for (const sub of ['uploads', 'uploadId', 'partNumber', 'acl', 'tagging', 'policy', 'cors']) {
      if (q.has(sub)) throw notImplemented();
    }
    const versionId = one(q, 'versionId');
    if (versionId !== undefined && !(method === 'DELETE' && key !== '')) throw notImplemented();
    if (q.has('versions') && !(method === 'GET' && key === '')) throw notImplemented();
    if (key === '') {
      if (method === 'GET' && q.has('versions')) return listVersions(res, q);
      if (method === 'GET' && q.get('list-type') === '2') return listV2(res, q);
      if (method === 'POST' && q.has('delete')) return deleteObjects(req, res, payloadSha256);
      if (method === 'HEAD') {
        res.statusCode = 200;
        res.end();
        return;
      }
      throw notImplemented();
    }
    checkKey(key);
    if (method === 'GET') return getObject(req, res, key, false);
    if (method === 'HEAD') return getObject(req, res, key, true);
    if (method === 'PUT') {
      if (req.headers['x-amz-copy-source'] !== undefined) throw notImplemented();
      return putObject(req, res, key, payloadSha256);
    }
    if (method === 'DELETE') return deleteObject(res, key, versionId);
    throw new S3Error(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }

  const server = createServer((req, res) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    dispatch(req, res).catch((e: unknown) => {
      let error: S3Error;
      if (e instanceof S3Error) error = e;
      else if (STORAGE_FAULTS.has((e as NodeJS.ErrnoException).code ?? '')) {
        lastFault = Date.now();
        error = new S3Error(507, 'InsufficientStorage', 'storage is full; try again later');
      } else error = new S3Error(500, 'InternalError', 'We encountered an internal error. Please try again.');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (!req.complete) {
        req.resume(); // keep reading so the answer reaches the client
        res.setHeader('connection', 'close');
      }
      res.removeHeader('content-length');
      if (req.method === 'HEAD') {
        res.statusCode = error.status;
        res.end();
        return;
      }
      xmlAnswer(res, error.status, error.toXml(requestId));
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = repoS3Client({ endpoint, region: LOCAL_S3_REGION, forcePathStyle: true, credentials, maxAttempts: 3 });
  return {
    client,
    endpoint,
    bucket,
    directory,
    lastFault: () => lastFault,
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function xmlAnswer(res: ServerResponse, status: number, xml: string): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/xml');
  res.setHeader('content-length', String(Buffer.byteLength(xml)));
  res.end(xml);
}
