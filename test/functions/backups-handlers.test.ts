// The storage Lambda handlers (functions/handlers/backups.ts, and DELETE /v1/vault?backups=true in handlers/vault.ts)
// with S3 and DynamoDB mocked by aws-sdk-client-mock: what they send, in which order, the presigned URLs they make
// (bucket, account prefix, lifetime, signed content-length, no baked-in checksum), and how SDK failures map to
// problem answers without SDK text.

import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, NoSuchUpload, NotFound, S3Client, S3ServiceException,
} from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CreateBackupResponse, GetBackupResponse } from '../../protocol/backups-schemas.js';
import { apiEvent } from '../helpers/event.js';

process.env.VAULT_TABLE = 'vault-table';
process.env.BACKUP_BUCKET = 'backups-primary';
process.env.BACKUP_FALLBACK_BUCKET = 'backups-replica';
process.env.BACKUP_FALLBACK_REGION = 'eu-west-1';
process.env.MAX_BACKUP_BYTES = String(64 * 1024 * 1024);
process.env.BACKUP_URL_TTL_SECONDS = '900';
process.env.KMS_KEY_ID = 'arn:aws:kms:us-east-1:111122223333:key/mrk-test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'ASIATESTTESTTEST';
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret';
process.env.AWS_SESSION_TOKEN = 'test-session';

const MiB = 1024 * 1024;
const ID = '01jd0000000000000000000001';
const OLD = ['01jc0000000000000000000001', '01jc0000000000000000000002', '01jc0000000000000000000003'];
const KEY = (id: string) => `accounts/YWxpY2U/backups/${id}.age`;
const s3 = mockClient(S3Client);
const ddb = mockClient(DynamoDBDocumentClient);
let h: typeof import('../../functions/handlers/backups.js');
let vault: typeof import('../../functions/handlers/vault.js');

const json = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(r.body ?? 'null') as Record<string, unknown>;
const item = (id: string, state: string, extra: Record<string, unknown> = {}) => ({
  pk: 'alice', sk: `backup#${id}`, state, size: 10 * MiB, partSize: 8 * MiB, partCount: 2, createdAt: 1_700_000_000_000,
  expiresAt: Date.now() + 600_000, ...extra,
});
const withId = (e: ReturnType<typeof apiEvent>, backupId: string) => ({ ...e, pathParameters: { backupId } });
const s3Error = (name: string, fault: 'client' | 'server' = 'client') =>
  new S3ServiceException({ name, $fault: fault, $metadata: {}, message: 'secret internals' });

beforeAll(async () => {
  h = await import('../../functions/handlers/backups.js');
  vault = await import('../../functions/handlers/vault.js');
});
afterAll(() => {
  s3.restore();
  ddb.restore();
});
beforeEach(() => {
  s3.reset();
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [] });
  s3.on(ListMultipartUploadsCommand).resolves({});
  s3.on(ListObjectsV2Command).resolves({});
});

describe('create', () => {
  it('a small backup: one presigned PUT under the account prefix, content-length signed, one conditional put', async () => {
    const before = Date.now();
    const r = await h.create(apiEvent({ path: '/v1/backups', body: { size: 5 } }));
    expect(r.statusCode).toBe(201);
    const c = CreateBackupResponse.parse(json(r));
    expect(c.parts).toHaveLength(1);
    const url = new URL(c.parts[0]!.url);
    expect(url.host).toBe('backups-primary.s3.us-east-1.amazonaws.com');
    expect(url.pathname).toBe(`/${KEY(c.backupId)}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host');
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(Date.parse(c.expiresAt)).toBeGreaterThanOrEqual(before + 900_000);
    expect(Date.parse(c.expiresAt)).toBeLessThanOrEqual(Date.now() + 900_000);

    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'vault-table', KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'alice', ':prefix': 'backup#' }, ConsistentRead: true,
    });
    expect(s3).toHaveReceivedCommandWith(ListMultipartUploadsCommand, { Bucket: 'backups-primary', Prefix: 'accounts/YWxpY2U/' });
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'vault-table', ConditionExpression: 'attribute_not_exists(pk)',
      Item: expect.objectContaining({ pk: 'alice', sk: `backup#${c.backupId}`, state: 'pending', size: 5, partCount: 1 }),
    });
    expect(s3).not.toHaveReceivedCommand(CreateMultipartUploadCommand);
  });

  it('a backup over one part: a multipart upload, one presigned URL per part with its number', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-1' });
    const r = await h.create(apiEvent({ path: '/v1/backups', body: { size: 20 * MiB } }));
    expect(r.statusCode).toBe(201);
    const c = CreateBackupResponse.parse(json(r));
    expect(c.partSize).toBe(8 * MiB);
    expect(c.parts.map((p) => [new URL(p.url).searchParams.get('partNumber'), new URL(p.url).searchParams.get('uploadId')]))
      .toEqual([['1', 'up-1'], ['2', 'up-1'], ['3', 'up-1']]);
    expect(s3).toHaveReceivedCommandWith(CreateMultipartUploadCommand, { Bucket: 'backups-primary', Key: KEY(c.backupId) });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, { Item: expect.objectContaining({ uploadId: 'up-1', partCount: 3, partSize: 8 * MiB }) });
  });

  it('a failing sweep of stray uploads (e.g. a missing list permission) does not fail the create', async () => {
    s3.on(ListMultipartUploadsCommand).rejects(s3Error('AccessDenied'));
    const r = await h.create(apiEvent({ path: '/v1/backups', body: { size: 5 } }));
    expect(r.statusCode).toBe(201);
    expect(ddb).toHaveReceivedCommandTimes(PutCommand, 1);
  });

  it('over the maximum is 413 before any AWS call', async () => {
    const r = await h.create(apiEvent({ path: '/v1/backups', body: { size: 64 * MiB + 1 } }));
    expect(r.statusCode).toBe(413);
    expect(json(r)).toMatchObject({ type: 'urn:bkv:problem:payload-too-large', maxSize: 64 * MiB });
    expect(ddb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });

  it('a throttled metadata write is a 503 and the multipart upload it opened is aborted', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'up-2' });
    ddb.on(PutCommand).rejects(new ProvisionedThroughputExceededException({ message: 'secret internals', $metadata: {} }));
    const r = await h.create(apiEvent({ path: '/v1/backups', body: { size: 9 * MiB } }));
    expect(r.statusCode).toBe(503);
    expect(r.headers?.['retry-after']).toBe('1');
    expect(r.body).not.toContain('secret internals');
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { UploadId: 'up-2' });
  });
});

describe('complete', () => {
  const parts = [{ partNumber: 1, etag: '"a"' }, { partNumber: 2, etag: '"b"' }];
  const completeEvent = () => withId(apiEvent({ path: `/v1/backups/${ID}/complete`, body: { parts } }), ID);

  it('assembles the parts, checks the size, commits with one conditional update, then drops the 4th newest', async () => {
    ddb.on(GetCommand).resolves({ Item: item(ID, 'pending', { uploadId: 'up-1' }) });
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 * MiB, ETag: '"x-2"' });
    ddb.on(QueryCommand).resolves({ Items: [item(ID, 'committed'), ...OLD.map((o) => item(o, 'committed'))].reverse() });
    const r = await h.complete(completeEvent());
    expect(r.statusCode).toBe(200);
    expect(json(r)).toEqual({ backupId: ID, size: 10 * MiB, createdAt: new Date(1_700_000_000_000).toISOString() });
    expect(s3).toHaveReceivedCommandWith(CompleteMultipartUploadCommand, {
      Bucket: 'backups-primary', Key: KEY(ID), UploadId: 'up-1',
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"a"' }, { PartNumber: 2, ETag: '"b"' }] },
    });
    expect(ddb).toHaveReceivedNthCommandWith(UpdateCommand, 1, {
      Key: { pk: 'alice', sk: `backup#${ID}` }, ConditionExpression: '#state = :pending',
      ExpressionAttributeValues: expect.objectContaining({ ':committed': 'committed' }),
    });
    // Retention: only the oldest goes, marked first, its object deleted, then its item.
    expect(ddb).toHaveReceivedNthCommandWith(UpdateCommand, 2, {
      Key: { pk: 'alice', sk: `backup#${OLD[0]}` }, ExpressionAttributeValues: expect.objectContaining({ ':from': 'committed' }),
    });
    expect(s3).toHaveReceivedCommandTimes(DeleteObjectCommand, 1);
    expect(s3).toHaveReceivedCommandWith(DeleteObjectCommand, { Bucket: 'backups-primary', Key: KEY(OLD[0]!) });
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: 'alice', sk: `backup#${OLD[0]}` } });
    const commit = ddb.commandCalls(UpdateCommand)[0]!;
    const del = s3.commandCalls(DeleteObjectCommand)[0]!;
    expect(commit.calledBefore(del)).toBe(true);
  });

  it('a size other than the declared one: 400, the object is deleted, nothing committed', async () => {
    ddb.on(GetCommand).resolves({ Item: item(ID, 'pending', { uploadId: 'up-1' }) });
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 * MiB + 1 });
    const r = await h.complete(completeEvent());
    expect(r.statusCode).toBe(400);
    expect(json(r)).toMatchObject({ type: 'urn:bkv:problem:bad-request', declaredSize: 10 * MiB, uploadedSize: 10 * MiB + 1 });
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { ExpressionAttributeValues: expect.objectContaining({ ':deleting': 'deleting', ':from': 'pending' }) });
    expect(s3).toHaveReceivedCommandWith(DeleteObjectCommand, { Key: KEY(ID) });
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { Key: { pk: 'alice', sk: `backup#${ID}` } });
  });

  it('a concurrent commit is answered as committed (retried complete)', async () => {
    ddb.on(GetCommand).resolvesOnce({ Item: item(ID, 'pending', { uploadId: 'up-1' }) }).resolves({ Item: item(ID, 'committed') });
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 * MiB });
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'x', $metadata: {} }));
    const r = await h.complete(completeEvent());
    expect(r.statusCode).toBe(200);
    expect(json(r)).toMatchObject({ backupId: ID });
  });

  it.for([
    ['InvalidPart from S3', () => s3.on(CompleteMultipartUploadCommand).rejects(s3Error('InvalidPart')), 400, 'bad-request'],
    ['EntityTooSmall from S3', () => s3.on(CompleteMultipartUploadCommand).rejects(s3Error('EntityTooSmall')), 400, 'bad-request'],
    ['InvalidPartOrder from S3', () => s3.on(CompleteMultipartUploadCommand).rejects(s3Error('InvalidPartOrder')), 400, 'bad-request'],
    ['NoSuchUpload and no object', () => {
      s3.on(CompleteMultipartUploadCommand).rejects(new NoSuchUpload({ message: 'secret internals', $metadata: {} }));
      s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'secret internals', $metadata: {} }));
    }, 409, 'conflict'],
    ['SlowDown from S3', () => s3.on(CompleteMultipartUploadCommand).rejects(s3Error('SlowDown', 'server')), 503, 'unavailable'],
    ['InternalError from S3', () => s3.on(HeadObjectCommand).rejects(s3Error('InternalError', 'server')), 503, 'unavailable'],
    ['AccessDenied from S3', () => s3.on(HeadObjectCommand).rejects(s3Error('AccessDenied')), 500, 'internal'],
    ['DynamoDB throttling', () => ddb.on(GetCommand).rejects(new ProvisionedThroughputExceededException({ message: 'secret internals', $metadata: {} })), 503, 'unavailable'],
    ['a DynamoDB error of no known kind', () => ddb.on(GetCommand).rejects(Object.assign(new Error('secret internals'), { name: 'AccessDeniedException' })), 500, 'internal'],
  ] as const)('%s → %i, nothing committed, no SDK text', async ([, arrange, status, code]) => {
    ddb.on(GetCommand).resolves({ Item: item(ID, 'pending', { uploadId: 'up-1' }) });
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 * MiB });
    arrange();
    const r = await h.complete(completeEvent());
    expect(r.statusCode).toBe(status);
    expect(r.headers?.['content-type']).toBe('application/problem+json');
    expect(json(r)).toMatchObject({ type: `urn:bkv:problem:${code}` });
    expect(r.body).not.toContain('secret internals');
    expect(ddb).not.toHaveReceivedCommandWith(UpdateCommand, { ExpressionAttributeValues: expect.objectContaining({ ':committed': 'committed' }) });
  });

  it('the wrong number of parts never reaches S3', async () => {
    ddb.on(GetCommand).resolves({ Item: item(ID, 'pending', { uploadId: 'up-1', partCount: 3 }) });
    const r = await h.complete(completeEvent());
    expect(r.statusCode).toBe(400);
    expect(json(r)).toMatchObject({ partCount: 3 });
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('list, get, delete', () => {
  it('list answers committed backups only, newest first', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [item(ID, 'pending'), item(OLD[2]!, 'committed'), item(OLD[1]!, 'deleting'), item(OLD[0]!, 'committed')],
    });
    const r = await h.list(apiEvent({ method: 'GET', path: '/v1/backups' }));
    expect(r.statusCode).toBe(200);
    expect((json(r).backups as { backupId: string }[]).map((b) => b.backupId)).toEqual([OLD[2], OLD[0]]);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, { ScanIndexForward: false, ConsistentRead: true });
    expect(s3.calls()).toHaveLength(0);
  });

  it('get latest presigns a GET in the primary bucket when the object is there', async () => {
    ddb.on(QueryCommand).resolves({ Items: [item(OLD[2]!, 'committed'), item(OLD[1]!, 'committed')] });
    s3.on(HeadObjectCommand).resolves({ ContentLength: 1 });
    const r = await h.get(withId(apiEvent({ method: 'GET', path: '/v1/backups/latest' }), 'latest'));
    expect(r.statusCode).toBe(200);
    const g = GetBackupResponse.parse(json(r));
    expect(g.backupId).toBe(OLD[2]);
    const url = new URL(g.downloadUrl);
    expect(url.host).toBe('backups-primary.s3.us-east-1.amazonaws.com');
    expect(url.pathname).toBe(`/${KEY(OLD[2]!)}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('900');
  });

  it('get falls back to the replica bucket and region while the object is not in the primary yet', async () => {
    ddb.on(GetCommand).resolves({ Item: item(ID, 'committed') });
    s3.on(HeadObjectCommand, { Bucket: 'backups-primary' }).rejects(new NotFound({ message: 'x', $metadata: {} }));
    s3.on(HeadObjectCommand, { Bucket: 'backups-replica' }).resolves({ ContentLength: 1 });
    const r = await h.get(withId(apiEvent({ method: 'GET', path: `/v1/backups/${ID}` }), ID));
    expect(r.statusCode).toBe(200);
    expect(new URL(GetBackupResponse.parse(json(r)).downloadUrl).host).toBe('backups-replica.s3.eu-west-1.amazonaws.com');
  });

  it('get of a committed backup in neither bucket is a 503 to retry', async () => {
    ddb.on(GetCommand).resolves({ Item: item(ID, 'committed') });
    s3.on(HeadObjectCommand).rejects(new NotFound({ message: 'x', $metadata: {} }));
    const r = await h.get(withId(apiEvent({ method: 'GET', path: `/v1/backups/${ID}` }), ID));
    expect(r.statusCode).toBe(503);
  });

  it('get of a pending backup is 404 and presigns nothing', async () => {
    ddb.on(GetCommand).resolves({ Item: item(ID, 'pending') });
    const r = await h.get(withId(apiEvent({ method: 'GET', path: `/v1/backups/${ID}` }), ID));
    expect(r.statusCode).toBe(404);
    expect(s3.calls()).toHaveLength(0);
  });

  it('delete of a pending multipart backup: marked deleting, upload aborted, object and item deleted', async () => {
    ddb.on(GetCommand).resolves({ Item: item(ID, 'pending', { uploadId: 'up-9' }) });
    const r = await h.remove(withId(apiEvent({ method: 'DELETE', path: `/v1/backups/${ID}` }), ID));
    expect(r.statusCode).toBe(204);
    expect(r.body).toBeUndefined();
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { ConditionExpression: '#state = :from', ExpressionAttributeValues: expect.objectContaining({ ':from': 'pending' }) });
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { Key: KEY(ID), UploadId: 'up-9' });
    expect(s3).toHaveReceivedCommandWith(DeleteObjectCommand, { Key: KEY(ID) });
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, { ConditionExpression: 'attribute_not_exists(pk) OR #state = :deleting' });
  });

  it('bad backup ids and missing subjects never reach AWS', async () => {
    for (const r of [
      await h.get(withId(apiEvent({ method: 'GET', path: '/v1/backups/x' }), 'NOT-AN-ID')),
      await h.remove(withId(apiEvent({ method: 'DELETE', path: '/v1/backups/latest' }), 'latest')),
      await h.complete(withId(apiEvent({ path: '/v1/backups/x/complete', body: { parts: [] } }), ID)),
    ]) expect(r.statusCode).toBe(400);
    expect((await h.list(apiEvent({ method: 'GET', path: '/v1/backups', sub: null }))).statusCode).toBe(401);
    expect((await h.create(apiEvent({ path: '/v1/backups', body: { size: 1 }, sub: 'has/slash' }))).statusCode).toBe(401);
    expect(ddb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('DELETE /v1/vault?backups=true', () => {
  beforeEach(() => {
    ddb.on(UpdateCommand, { Key: { pk: 'alice', sk: 'vault' } }).resolves({});
  });

  it('deletes every backup and whatever else is under the prefix before the vault item', async () => {
    ddb.on(QueryCommand).resolvesOnce({ Items: [item(OLD[0]!, 'committed'), item(ID, 'pending', { uploadId: 'up-3' })] }).resolves({ Items: [] });
    s3.on(ListMultipartUploadsCommand).resolves({ Uploads: [{ Key: KEY('stray'), UploadId: 'up-stray' }] });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'accounts/YWxpY2U/other' }] });
    const r = await vault.remove(apiEvent({ method: 'DELETE', path: '/v1/vault', query: { backups: 'true' } }));
    expect(r.statusCode).toBe(204);
    expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'backups-primary', Prefix: 'accounts/YWxpY2U/' });
    for (const key of [KEY(OLD[0]!), KEY(ID), 'accounts/YWxpY2U/other']) expect(s3).toHaveReceivedCommandWith(DeleteObjectCommand, { Key: key });
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { UploadId: 'up-3' });
    expect(s3).toHaveReceivedCommandWith(AbortMultipartUploadCommand, { UploadId: 'up-stray' });
    const vaultDelete = ddb.commandCalls(UpdateCommand).find((c) => c.args[0].input.Key?.sk === 'vault');
    expect(vaultDelete?.args[0].input.UpdateExpression).toContain('REMOVE rec, sealedKey, cred');
    expect(vaultDelete).toBeDefined();
    for (const c of s3.commandCalls(DeleteObjectCommand)) expect(c.calledBefore(vaultDelete!)).toBe(true);
  });

  it('without the flag the backups are left alone; a bad flag changes nothing', async () => {
    expect((await vault.remove(apiEvent({ method: 'DELETE', path: '/v1/vault' }))).statusCode).toBe(204);
    expect(s3.calls()).toHaveLength(0);
    ddb.reset();
    const bad = await vault.remove(apiEvent({ method: 'DELETE', path: '/v1/vault', query: { backups: 'yes' } }));
    expect(bad.statusCode).toBe(400);
    expect(ddb.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });
});
