// AWS Signature Version 4 checks for the local storage stand-ins (the object store local/s3.ts and dynalite verify none themselves):
// a request signed in its Authorization header, or a presigned URL (query parameters), is re-signed with the
// runtime's own credentials by the AWS SDK's signer (@smithy/signature-v4) at the request's own date, and the two
// signatures are compared in constant time. Also checked: access key, region, service, the date and its window
// (15 minutes for headers; X-Amz-Date + X-Amz-Expires for URLs) and, where the payload hash is given, the body.
// A header-signed request with a payload hash (x-amz-content-sha256, which must then be signed, as S3 requires) is
// verified over the hash it declares, without its body: the caller reads the body only after that, and checks the
// hash as it reads (`Verified.payloadSha256`), so an unsigned request never gets its body read.
// Spec: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv.html

import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { StorageCredentials } from './keys.js';

export interface SignedRequest {
  method: string;
  /** Path and query exactly as on the wire (`req.url`). */
  url: string;
  headers: IncomingHttpHeaders;
  /**
   * The whole body, when the signature covers it (header-signed requests) and the caller already has it. Without
   * it, a declared payload hash is returned for the caller to check while it reads the body.
   */
  body?: Buffer;
}

export interface Verified {
  /** The signature is good, provided the body (not read yet) hashes to this: a mismatch must change nothing. */
  payloadSha256?: string;
}

export interface Scope {
  credentials: StorageCredentials;
  region: string;
  service: string;
  /** S3 signs the path as sent; other services normalise and encode it again. */
  uriEscapePath: boolean;
  now?: () => number;
}

/** Why a request was refused; the S3 and DynamoDB fronts turn it into their own error shapes. */
export class SignatureError extends Error {
  constructor(readonly kind: 'missing' | 'malformed' | 'access-key' | 'expired' | 'mismatch', message: string) {
    super(message);
  }
}

const SKEW_MS = 15 * 60 * 1000;
const MAX_EXPIRES_S = 604_800;
const UNSIGNED = 'UNSIGNED-PAYLOAD';
const HEX64 = /^[0-9a-f]{64}$/;
const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9-]+(?:;[a-z0-9-]+)*),\s*Signature=([0-9a-f]{64})$/;
const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request$/;
const LONG_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const QUERY_AUTH = ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'];

/** node:crypto's SHA-256 and HMAC-SHA256 in the shape the signer takes (the SDK's @smithy/hash-node is the same). */
type Bytes = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: Bytes): string | Uint8Array => typeof data === 'string' ? data
  : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

export class Sha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: Bytes) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(this.secret));
  }
  update(data: Bytes): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** Constant-time comparison of two hex digests. */
export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

function parseDate(longDate: string): Date {
  const m = LONG_DATE.exec(longDate);
  if (!m) throw new SignatureError('malformed', 'x-amz-date is not yyyyMMddTHHmmssZ');
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const date = new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
  if (Number.isNaN(date.getTime())) throw new SignatureError('malformed', 'x-amz-date is not a date');
  return date;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function split(url: string): { path: string; query: Record<string, string | string[]> } {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = Object.create(null) as Record<string, string | string[]>;
  for (const [k, v] of new URLSearchParams(q === -1 ? '' : url.slice(q + 1))) {
    const prev = query[k];
    query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return { path, query };
}

function checkScope(scope: Scope, accessKeyId: string, shortDate: string, region: string, service: string, date: Date): void {
  if (accessKeyId !== scope.credentials.accessKeyId) throw new SignatureError('access-key', 'unknown access key');
  if (region !== scope.region || service !== scope.service) throw new SignatureError('mismatch', 'wrong credential scope');
  if (date.toISOString().slice(0, 10).replaceAll('-', '') !== shortDate) throw new SignatureError('mismatch', 'credential date is not the request date');
}

/** The signed headers, as the request carries them; a listed header that is absent makes the signature differ. */
function signedHeaders(headers: IncomingHttpHeaders, names: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = header(headers, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Throws a SignatureError unless `req` carries a valid SigV4 signature made with `scope.credentials`. */
export async function verifySignature(req: SignedRequest, scope: Scope): Promise<Verified> {
  const now = scope.now?.() ?? Date.now();
  const signer = new SignatureV4({
    credentials: scope.credentials, region: scope.region, service: scope.service, sha256: Sha256, uriEscapePath: scope.uriEscapePath,
    applyChecksum: false,
  });
  const { path, query } = split(req.url);
  const authorization = header(req.headers, 'authorization');
  const byQuery = QUERY_AUTH.some((k) => k in query);
  if (authorization !== undefined && byQuery) throw new SignatureError('malformed', 'only one auth mechanism allowed');
  if ('Signature' in query || 'AWSAccessKeyId' in query) throw new SignatureError('malformed', 'signature version 2 is not accepted');
  const host = header(req.headers, 'host') ?? '';
  const hostname = host.replace(/:\d+$/, '');

  if (authorization !== undefined) {
    const m = AUTH.exec(authorization.trim());
    if (!m) throw new SignatureError(authorization.startsWith('AWS4-HMAC-SHA256 ') ? 'malformed' : 'missing', 'authorization is not a sigv4 header');
    const [, accessKeyId, shortDate, region, service, headerList, signature] = m as unknown as string[];
    const date = parseDate(header(req.headers, 'x-amz-date') ?? '');
    checkScope(scope, accessKeyId!, shortDate!, region!, service!, date);
    if (Math.abs(now - date.getTime()) > SKEW_MS) throw new SignatureError('expired', 'request time too skewed');
    const names = headerList!.split(';');
    if (!names.includes('host')) throw new SignatureError('malformed', 'host must be signed');
    const contentSha = header(req.headers, 'x-amz-content-sha256');
    let payloadSha256: string | undefined;
    if (contentSha !== undefined && contentSha !== UNSIGNED) {
      if (!HEX64.test(contentSha)) throw new SignatureError('malformed', 'x-amz-content-sha256 must be a sha256 or UNSIGNED-PAYLOAD');
      if (!names.includes('x-amz-content-sha256')) throw new SignatureError('malformed', 'x-amz-content-sha256 must be signed');
      if (req.body === undefined) payloadSha256 = contentSha;
      else if (!sameHex(createHash('sha256').update(req.body).digest('hex'), contentSha)) {
        throw new SignatureError('mismatch', 'body does not match x-amz-content-sha256');
      }
    }
    const signed = await signer.sign({
      method: req.method, protocol: 'http:', hostname, path, query, headers: signedHeaders(req.headers, names),
      ...(req.body !== undefined && req.body.length > 0 ? { body: req.body } : {}),
    }, { signingDate: date, signableHeaders: new Set(names) });
    const expected = /Signature=([0-9a-f]{64})$/.exec(String(signed.headers.authorization))?.[1] ?? '';
    if (!sameHex(expected, signature!)) throw new SignatureError('mismatch', 'signature does not match');
    return payloadSha256 !== undefined ? { payloadSha256 } : {};
  }

  if (!byQuery) throw new SignatureError('missing', 'request is not signed');
  const one = (k: string): string => {
    const v = query[k];
    if (typeof v !== 'string') throw new SignatureError('malformed', `${k} must be given once`);
    return v;
  };
  const [algorithm, credential, longDate, expiresText, headerList, signature] = QUERY_AUTH.map(one) as string[];
  if (algorithm !== 'AWS4-HMAC-SHA256') throw new SignatureError('malformed', 'X-Amz-Algorithm must be AWS4-HMAC-SHA256');
  const c = CREDENTIAL.exec(credential!);
  if (!c) throw new SignatureError('malformed', 'X-Amz-Credential is malformed');
  if (!/^\d{1,6}$/.test(expiresText!) || Number(expiresText) < 1 || Number(expiresText) > MAX_EXPIRES_S) {
    throw new SignatureError('malformed', 'X-Amz-Expires must be 1 to 604800');
  }
  if (!HEX64.test(signature!)) throw new SignatureError('malformed', 'X-Amz-Signature is malformed');
  if (!/^[a-z0-9-]+(?:;[a-z0-9-]+)*$/.test(headerList!)) throw new SignatureError('malformed', 'X-Amz-SignedHeaders is malformed');
  const date = parseDate(longDate!);
  checkScope(scope, c[1]!, c[2]!, c[3]!, c[4]!, date);
  if (now < date.getTime() - SKEW_MS) throw new SignatureError('expired', 'request is not valid yet');
  if (now > date.getTime() + Number(expiresText) * 1000) throw new SignatureError('expired', 'request has expired');
  const names = headerList!.split(';');
  if (!names.includes('host')) throw new SignatureError('malformed', 'host must be signed');

  // Re-sign the same request: the SDK hoists x-amz-* headers into the query, so the payload hash travels there.
  // The name keeps its case (the S3 presigner writes X-Amz-Content-Sha256): it is part of the canonical query.
  const { 'X-Amz-Signature': _signature, ...rest } = query;
  const headers = signedHeaders(req.headers, names);
  const shaName = Object.keys(rest).find((k) => k.toLowerCase() === 'x-amz-content-sha256');
  if (shaName !== undefined) {
    headers[shaName] = String(rest[shaName]);
    delete rest[shaName];
  }
  const presigned = await signer.presign(
    { method: req.method, protocol: 'http:', hostname, path, query: rest, headers },
    { signingDate: date, expiresIn: Number(expiresText), signableHeaders: new Set(names) },
  );
  const expected = presigned.query?.['X-Amz-Signature'];
  if (typeof expected !== 'string' || !sameHex(expected, signature!)) throw new SignatureError('mismatch', 'signature does not match');
  return {};
}
