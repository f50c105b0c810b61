// Test helpers for the storage API against the local runtime: raw HTTP calls (no SDK, so bad input can be sent),
// part uploads with fetch PUTs to the presigned URLs, and a look at what s3rver holds on disk.

import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CreateBackupResult } from '../../protocol/backups-schemas.js';
import type { LocalRuntime } from '../../local/server.js';

export interface Answer {
  status: number;
  type: string | null;
  json: Record<string, unknown> | undefined;
}

export async function call(rt: LocalRuntime, token: string | undefined, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined && contentType !== '') headers['content-type'] = contentType;
  const res = await fetch(rt.url + path, {
    method, headers, ...(body !== undefined ? { body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

export const asCreated = (a: Answer) => a.json as unknown as CreateBackupResult;

/** PUTs each part's slice of `data` to its URL; returns the parts as `complete` wants them. */
export async function uploadParts(created: CreateBackupResult, data: Uint8Array, only?: number[]): Promise<{ partNumber: number; etag: string }[]> {
  const out: { partNumber: number; etag: string }[] = [];
  for (const p of created.parts) {
    if (only && !only.includes(p.partNumber)) continue;
    const body = data.subarray((p.partNumber - 1) * created.partSize, p.partNumber * created.partSize);
    const res = await fetch(p.url, { method: 'PUT', body });
    if (res.status !== 200) throw new Error(`part ${p.partNumber}: ${res.status} ${await res.text()}`);
    out.push({ partNumber: p.partNumber, etag: res.headers.get('etag') ?? '' });
  }
  return out;
}

/** Creates, uploads and completes a backup of `data`; returns its id. */
export async function backup(rt: LocalRuntime, token: string, data: Uint8Array): Promise<string> {
  const created = await call(rt, token, 'POST', '/v1/backups', { size: data.length });
  if (created.status !== 201) throw new Error(`create: ${created.status}`);
  const c = asCreated(created);
  const parts = await uploadParts(c, data);
  const done = await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts });
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${JSON.stringify(done.json)}`);
  return c.backupId;
}

export async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`download: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

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

/** Keys of the objects s3rver stores, sorted. */
export async function storedKeys(rt: LocalRuntime): Promise<string[]> {
  const root = join(rt.s3.directory, rt.s3.bucket);
  const files = await walk(root);
  return files.filter((f) => f.endsWith('._S3rver_object')).map((f) => relative(root, f).slice(0, -'._S3rver_object'.length)).sort();
}

/** Ids of the multipart uploads in progress, optionally only those whose key starts with `prefix`. */
export async function openUploads(rt: LocalRuntime, prefix = ''): Promise<string[]> {
  const dir = join(rt.s3.directory, rt.s3.bucket, '._S3rver_uploads');
  const ids = await readdir(dir).catch(() => [] as string[]);
  const keep: string[] = [];
  for (const id of ids) {
    const key = await readFile(join(dir, id, 'key'), 'utf8').catch(() => undefined);
    if (key !== undefined && key.startsWith(prefix)) keep.push(id);
  }
  return keep.sort();
}

/** Every table item of the account (vault and backups), read straight from the local DynamoDB. */
export async function tableItems(rt: LocalRuntime, account: string): Promise<Record<string, unknown>[]> {
  const doc = DynamoDBDocumentClient.from(rt.dynamo.client);
  const out = await doc.send(new QueryCommand({
    TableName: rt.dynamo.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': account }, ConsistentRead: true,
  }));
  return out.Items ?? [];
}
