// Test helpers for the repository API against the local runtime: raw HTTP calls (no SDK, so bad input can be
// sent), object uploads with fetch PUTs to the presigned URLs, and a look at what the object store holds on disk
// (plain files at <directory>/<bucket>/<key>) and what the table holds.

import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalRuntime } from '../../local/server.js';

export interface Answer {
  status: number;
  type: string | null;
  json: Record<string, unknown> | undefined;
}

export async function call(rt: Pick<LocalRuntime, 'url'>, token: string | undefined, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
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
