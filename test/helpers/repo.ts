// Test helpers for the repository API against the local runtime: raw HTTP calls (no SDK, so bad input can be
// sent; mutating ones signed by the token owner's test K unless a test asks otherwise), object uploads with fetch PUTs to the presigned URLs, and a look at what the object store holds on disk
// (plain files at <directory>/<bucket>/<key>) and what the table holds.

import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tokenSubject } from '../../client/http.js';
import { RequestSigner } from '../../client/repo/storage/signing.js';
import { matchPath, ROUTES } from '../../functions/routes.js';
import { WIRE_ROUTES } from '../../protocol/routes.js';
import type { LocalRuntime } from '../../local/server.js';
import { TEST_CLOCKS } from './local.js';

export interface Answer {
  status: number;
  type: string | null;
  json: Record<string, unknown> | undefined;
}

/** The test K of an account (its owner's devices hold it; a token holder does not). */
export const testKeyOf = (account: string) => new Uint8Array(createHash('sha256').update(`test backup key of ${account}`).digest());
/** The owner's signer, on the runtime's clock when it was started with one (test/helpers/local.ts). */
export function signerOf(account: string, rt?: Pick<LocalRuntime, 'url'>): RequestSigner {
  return new RequestSigner(testKeyOf(account), (rt && TEST_CLOCKS.get(rt.url)) ?? Date.now);
}

function subjectOf(token: string): string | undefined {
  try {
    return tokenSubject(token);
  } catch {
    return undefined;
  }
}

/** The route id of a request that must be signed (docs/protocol.md "Signed requests"), or undefined. */
export function signedRouteOf(method: string, path: string): { routeId: string; path: string } | undefined {
  const [p, query] = path.split('?') as [string, string | undefined];
  if (method === 'DELETE' && p === '/v1/vault') return query?.includes('backups=true') ? { routeId: 'vault.delete', path: p } : undefined;
  for (const r of ROUTES) {
    if (r.method === method && r.id.startsWith('repo.') && WIRE_ROUTES[r.id].mutates && matchPath(r.path, p)) return { routeId: r.id, path: p };
  }
  return undefined;
}

/** A signature header of the owner of `token` (its test K) for the request, or {} for a request that needs none. */
export async function ownerSignature(rt: Pick<LocalRuntime, 'url'>, token: string, method: string, path: string, bodyText: string | undefined, repositoryId?: string): Promise<Record<string, string>> {
  const route = signedRouteOf(method, path);
  if (!route) return {};
  const account = tokenSubject(token);
  const status = await call(rt, token, 'GET', '/v1/repo', undefined, 'application/json', { unsigned: true });
  return {
    'bkv-signature': signerOf(account, rt).header({
      account, repositoryId: repositoryId ?? (status.json?.repositoryId as string | null) ?? '', routeId: route.routeId, method, path: route.path, body: bodyText,
    }),
  };
}

/**
 * Registers the owner's signing key (its test K's) for the account of `token` unless one is registered; what a
 * device with K does the first time it opens a repository made before keys were registered.
 */
export async function registerOwnerKey(rt: Pick<LocalRuntime, 'url'>, token: string): Promise<void> {
  const status = await call(rt, token, 'GET', '/v1/repo', undefined, 'application/json', { unsigned: true });
  if (status.json?.signingKey !== null) return;
  const a = await call(rt, token, 'POST', '/v1/repo/config', { signingKey: signerOf(tokenSubject(token)).publicKey });
  if (a.status !== 200) throw new Error(`register key: ${a.status} ${JSON.stringify(a.json)}`);
}

/**
 * A raw API call. A mutating repository request is signed as the token's owner would (its test K; the key is
 * registered first when the account has none, and added to a config-creating body that names none), unless
 * `unsigned` (a token holder without K) or `headers` say otherwise.
 */
export async function call(
  rt: Pick<LocalRuntime, 'url'>, token: string | undefined, method: string, path: string, body?: unknown, contentType = 'application/json',
  options: { unsigned?: boolean; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const route = signedRouteOf(method, path);
  let repositoryId: string | undefined;
  const subject = token !== undefined ? subjectOf(token) : undefined;
  if (route && token !== undefined && subject !== undefined && !options.unsigned && options.headers?.['bkv-signature'] === undefined) {
    const owner = signerOf(subject, rt);
    if (route.routeId === 'repo.createConfig' && typeof body === 'object' && body !== null && !Buffer.isBuffer(body)) {
      if (!('signingKey' in body)) body = { ...body, signingKey: owner.publicKey };
      const id = (body as { repositoryId?: unknown }).repositoryId;
      if (typeof id === 'string') repositoryId = id;
    } else {
      await registerOwnerKey(rt, token);
    }
    const text = body === undefined ? undefined : typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body);
    Object.assign(headers, await ownerSignature(rt, token, method, path, text, repositoryId));
  }
  if (body !== undefined && contentType !== '') headers['content-type'] = contentType;
  const res = await fetch(rt.url + path, {
    method, headers, ...(body !== undefined ? { body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

export const newId = () => randomBytes(32).toString('hex');

export interface Upload {
  type: string;
  id: string;
  url: string;
  headers: Record<string, string>;
}

/** Asks for upload URLs and PUTs each object's bytes; returns the URLs it used. */
export async function putObjects(rt: Pick<LocalRuntime, 'url'>, token: string, objects: { type: string; id: string; body: Uint8Array }[]): Promise<Upload[]> {
  const a = await call(rt, token, 'POST', '/v1/repo/uploads', { objects: objects.map((o) => ({ type: o.type, id: o.id, size: o.body.length })) });
  if (a.status !== 200) throw new Error(`uploads: ${a.status} ${JSON.stringify(a.json)}`);
  const uploads = a.json!.uploads as Upload[];
  for (const [i, u] of uploads.entries()) {
    const res = await fetch(u.url, { method: 'PUT', headers: u.headers, body: objects[i]!.body });
    if (res.status !== 200) throw new Error(`put ${u.type}/${u.id}: ${res.status} ${await res.text()}`);
  }
  return uploads;
}

/** A download URL of one object. */
export async function downloadUrl(rt: Pick<LocalRuntime, 'url'>, token: string, type: string, id: string): Promise<string> {
  const a = await call(rt, token, 'POST', '/v1/repo/downloads', { objects: [{ type, id }] });
  if (a.status !== 200) throw new Error(`downloads: ${a.status}`);
  return (a.json!.downloads as { url: string }[])[0]!.url;
}

export async function download(url: string, headers: Record<string, string> = {}): Promise<Buffer> {
  const res = await fetch(url, { headers });
  if (res.status !== 200 && res.status !== 206) throw new Error(`download: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** The S3 key of an account's object. */
export const keyOf = (account: string, type: string, id: string) => `accounts/${Buffer.from(account).toString('base64url')}/repo/${type}/${id}`;

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await walk(path)));
    else files.push(path);
  }
  return files;
}

/** Keys of the objects the local object store holds (every file, temporary ones included), sorted. */
export async function storedKeys(rt: Pick<LocalRuntime, 's3'>): Promise<string[]> {
  const root = join(rt.s3.directory, rt.s3.bucket);
  return (await walk(root)).map((f) => relative(root, f)).sort();
}

/** Every table item of the account (vault and repo), read straight from the local DynamoDB. */
export async function tableItems(rt: Pick<LocalRuntime, 'dynamo'>, account: string): Promise<Record<string, unknown>[]> {
  const doc = DynamoDBDocumentClient.from(rt.dynamo.client);
  const out = await doc.send(new QueryCommand({
    TableName: rt.dynamo.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': account }, ConsistentRead: true,
  }));
  return out.Items ?? [];
}
