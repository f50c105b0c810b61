// The storage API over HTTP against the local runtime, with real presigned uploads to s3rver: single PUT and
// multipart round-trips, the size check at complete, retention of the newest 3, newest-first listing, `latest`,
// delete, and DELETE /v1/vault?backups=true. Bytes only ever go to the presigned URLs.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import {
  BACKUP_ID_PATTERN, CompleteBackupResponse, CreateBackupResponse, GetBackupResponse, ListBackupsResponse, MIN_PART_SIZE,
} from '../../protocol/backups-schemas.js';
import { asCreated, backup, call, download, openUploads, storedKeys, uploadParts } from '../helpers/backups.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => rt.stop());

const prefixOf = (account: string) => `accounts/${Buffer.from(account).toString('base64url')}/backups/`;
const keyOf = (account: string, id: string) => `${prefixOf(account)}${id}.age`;
const list = async (token: string) => ListBackupsResponse.parse((await call(rt, token, 'GET', '/v1/backups')).json).backups;

describe('storage api round trips', () => {
  it('a small backup is one presigned PUT; complete commits it; get gives a URL to the same bytes', async () => {
    const token = await rt.token('single');
    const data = new Uint8Array(randomBytes(1000));
    const created = await call(rt, token, 'POST', '/v1/backups', { size: data.length });
    expect(created.status).toBe(201);
    const c = CreateBackupResponse.parse(created.json);
    expect(c.backupId).toMatch(BACKUP_ID_PATTERN);
    expect(c.partSize).toBe(MIN_PART_SIZE);
    expect(c.parts).toHaveLength(1);
    expect(new URL(c.parts[0]!.url).pathname).toBe(`/${rt.s3.bucket}/${keyOf('single', c.backupId)}`);
    expect(Date.parse(c.expiresAt) - Date.now()).toBeGreaterThan(3500_000);
    expect(await list(token)).toEqual([]); // pending is not listed

    const parts = await uploadParts(c, data);
    const done = await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts });
    expect(done.status).toBe(200);
    const info = CompleteBackupResponse.parse(done.json);
    expect(info).toMatchObject({ backupId: c.backupId, size: 1000 });

    const got = GetBackupResponse.parse((await call(rt, token, 'GET', `/v1/backups/${c.backupId}`)).json);
    expect(got).toMatchObject(info);
    expect((await download(got.downloadUrl)).equals(Buffer.from(data))).toBe(true);
    expect(await list(token)).toEqual([info]);
    // A retried complete answers the same and changes nothing.
    expect((await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts })).json).toEqual(info);
  });

  it('a backup over one part is a multipart upload of partSize parts, assembled byte for byte', async () => {
    const token = await rt.token('multi');
    const data = new Uint8Array(randomBytes(2 * MIN_PART_SIZE + 12345));
    const c = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: data.length }));
    expect(c.parts.map((p) => p.partNumber)).toEqual([1, 2, 3]);
    for (const p of c.parts) {
      const q = new URL(p.url).searchParams;
      expect(q.get('partNumber')).toBe(String(p.partNumber));
      expect(q.get('uploadId')).toBeTruthy();
    }
    expect(await openUploads(rt)).toHaveLength(1);
    const parts = await uploadParts(c, data);
    expect((await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts })).status).toBe(200);
    expect(await openUploads(rt)).toHaveLength(0);
    const got = GetBackupResponse.parse((await call(rt, token, 'GET', '/v1/backups/latest')).json);
    expect(got.backupId).toBe(c.backupId);
    expect((await download(got.downloadUrl)).equals(Buffer.from(data))).toBe(true);
  });

  it('an empty backup is allowed', async () => {
    const token = await rt.token('empty');
    const id = await backup(rt, token, new Uint8Array(0));
    const got = GetBackupResponse.parse((await call(rt, token, 'GET', `/v1/backups/${id}`)).json);
    expect(got.size).toBe(0);
    expect((await download(got.downloadUrl)).length).toBe(0);
  });

  it('complete refuses a size other than the declared one, deletes the object and commits nothing', async () => {
    const token = await rt.token('liar');
    const previous = await backup(rt, token, new Uint8Array(10).fill(1));
    const c = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: 1000 }));
    // The presigned URL signs content-length: the local S3, like S3, refuses another length and stores nothing.
    const short = await fetch(c.parts[0]!.url, { method: 'PUT', body: new Uint8Array(999) });
    expect(short.status).toBe(403);
    expect(await short.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(await storedKeys(rt)).not.toContain(keyOf('liar', c.backupId));
    // A store that did not check (or a writer with the storage credentials) could leave 999 bytes: complete checks.
    const put = await rt.s3.client.send(new PutObjectCommand({ Bucket: rt.s3.bucket, Key: keyOf('liar', c.backupId), Body: new Uint8Array(999) }));
    const parts = [{ partNumber: 1, etag: put.ETag ?? '' }];
    expect(await storedKeys(rt)).toContain(keyOf('liar', c.backupId));

    const refused = await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts });
    expect(refused.status).toBe(400);
    expect(refused.type).toBe('application/problem+json');
    expect(refused.json).toMatchObject({ type: 'urn:bkv:problem:bad-request', declaredSize: 1000, uploadedSize: 999 });
    expect(await storedKeys(rt)).not.toContain(keyOf('liar', c.backupId));
    expect((await list(token)).map((b) => b.backupId)).toEqual([previous]);
    expect((await call(rt, token, 'GET', '/v1/backups/latest')).json).toMatchObject({ backupId: previous });
    expect((await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts })).status).toBe(404);
  });

  it('a multipart upload whose last part is short is refused the same way; its upload is gone', async () => {
    const token = await rt.token('short-part');
    const size = MIN_PART_SIZE + 100;
    const c = asCreated(await call(rt, token, 'POST', '/v1/backups', { size }));
    const data = new Uint8Array(size);
    const first = await uploadParts(c, data, [1]);
    const refusedPart = await fetch(c.parts[1]!.url, { method: 'PUT', body: data.subarray(MIN_PART_SIZE, size - 1) });
    expect(refusedPart.status).toBe(403); // content-length is signed
    const uploadId = new URL(c.parts[1]!.url).searchParams.get('uploadId')!;
    const res = await rt.s3.client.send(new UploadPartCommand({
      Bucket: rt.s3.bucket, Key: keyOf('short-part', c.backupId), UploadId: uploadId, PartNumber: 2, Body: data.subarray(MIN_PART_SIZE, size - 1),
    }));
    const parts = [...first, { partNumber: 2, etag: res.ETag ?? '' }];
    const refused = await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts });
    expect(refused).toMatchObject({ status: 400, json: { uploadedSize: size - 1 } });
    expect(await list(token)).toEqual([]);
    expect((await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('short-part')))).toEqual([]);
  });

  it('complete before every part is uploaded is a 400 that changes nothing: the upload can still finish', async () => {
    const token = await rt.token('eager');
    const data = new Uint8Array(randomBytes(MIN_PART_SIZE + 10));
    const c = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: data.length }));
    const first = await uploadParts(c, data, [1]);
    const early = await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts: [...first, { partNumber: 2, etag: '"00000000000000000000000000000000"' }] });
    expect(early).toMatchObject({ status: 400, json: { type: 'urn:bkv:problem:bad-request' } });
    expect(await list(token)).toEqual([]);
    const rest = await uploadParts(c, data, [2]);
    expect((await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts: [...first, ...rest] })).status).toBe(200);
    const got = GetBackupResponse.parse((await call(rt, token, 'GET', '/v1/backups/latest')).json);
    expect((await download(got.downloadUrl)).equals(Buffer.from(data))).toBe(true);
  });

  it('complete with nothing uploaded is a 400; the backup stays pending, unlisted', async () => {
    const token = await rt.token('lazy');
    const c = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: 5 }));
    const r = await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts: [{ partNumber: 1, etag: '"x"' }] });
    expect(r).toMatchObject({ status: 400, json: { detail: 'nothing was uploaded for this backup' } });
    expect(await list(token)).toEqual([]);
    await uploadParts(c, new Uint8Array(5));
    const ok = await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts: [{ partNumber: 1, etag: '"x"' }] });
    expect(ok).toMatchObject({ status: 400, json: { detail: 'etag does not match the uploaded object' } });
  });
});

describe('retention, order, latest, delete', () => {
  it('keeps the newest 3 committed, newest first; older objects go only once a newer one commits', async () => {
    const token = await rt.token('keeper');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await backup(rt, token, new Uint8Array(10).fill(i)));
    expect((await list(token)).map((b) => b.backupId)).toEqual([...ids].reverse());

    // A fourth in progress replaces nothing.
    const c = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: 10 }));
    const parts = await uploadParts(c, new Uint8Array(10).fill(3));
    expect((await list(token)).map((b) => b.backupId)).toEqual([...ids].reverse());
    expect((await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('keeper')))).toHaveLength(4);

    expect((await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts })).status).toBe(200);
    ids.push(c.backupId);
    const listed = await list(token);
    expect(listed.map((b) => b.backupId)).toEqual([ids[3], ids[2], ids[1]]);
    expect(listed.map((b) => b.createdAt)).toEqual([...listed.map((b) => b.createdAt)].sort().reverse());
    expect((await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('keeper')))).toEqual(
      [ids[1], ids[2], ids[3]].map((id) => keyOf('keeper', id!)).sort(),
    );
    expect((await call(rt, token, 'GET', `/v1/backups/${ids[0]}`)).status).toBe(404);
    const latest = GetBackupResponse.parse((await call(rt, token, 'GET', '/v1/backups/latest')).json);
    expect(latest.backupId).toBe(ids[3]);
    expect((await download(latest.downloadUrl))[0]).toBe(3);
  });

  it('delete removes the record and the object; a second delete and a get are 404', async () => {
    const token = await rt.token('deleter');
    const keep = await backup(rt, token, new Uint8Array(3));
    const gone = await backup(rt, token, new Uint8Array(4));
    const r = await fetch(`${rt.url}/v1/backups/${gone}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(204);
    expect(await r.text()).toBe('');
    expect((await list(token)).map((b) => b.backupId)).toEqual([keep]);
    expect((await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('deleter')))).toEqual([keyOf('deleter', keep)]);
    expect((await call(rt, token, 'DELETE', `/v1/backups/${gone}`)).status).toBe(404);
    expect((await call(rt, token, 'GET', `/v1/backups/${gone}`)).status).toBe(404);
    expect((await call(rt, token, 'GET', '/v1/backups/latest')).json).toMatchObject({ backupId: keep });
  });

  it('deleting a pending backup aborts its multipart upload', async () => {
    const token = await rt.token('quitter');
    const before = await openUploads(rt);
    const c = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: MIN_PART_SIZE * 2 }));
    expect((await openUploads(rt)).length).toBe(before.length + 1);
    expect((await call(rt, token, 'DELETE', `/v1/backups/${c.backupId}`)).status).toBe(204);
    expect(await openUploads(rt)).toEqual(before);
    const put = await fetch(c.parts[0]!.url, { method: 'PUT', body: new Uint8Array(c.partSize) }); // the signed length
    expect(put.status).toBe(404); // NoSuchUpload
  });

  it('latest with no backups is 404', async () => {
    const r = await call(rt, await rt.token('nobody'), 'GET', '/v1/backups/latest');
    expect(r).toMatchObject({ status: 404, json: { type: 'urn:bkv:problem:not-found' } });
  });

  it('DELETE /v1/vault?backups=true deletes the backups; without it they stay', async () => {
    const client = await rt.vaultClient('leaver');
    const token = await rt.token('leaver');
    await client.register(new Uint8Array(32).fill(7), 'pw');
    const id = await backup(rt, token, new Uint8Array(9));
    const pending = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: MIN_PART_SIZE + 1 }));
    expect(pending.parts).toHaveLength(2);
    const uploads = await openUploads(rt);

    expect((await call(rt, token, 'DELETE', '/v1/vault?backups=maybe')).status).toBe(400);
    expect((await call(rt, token, 'GET', '/v1/vault')).json).toMatchObject({ registered: true });
    expect((await call(rt, token, 'DELETE', '/v1/vault?backups=false')).status).toBe(204);
    expect((await list(token)).map((b) => b.backupId)).toEqual([id]);

    await client.register(new Uint8Array(32).fill(7), 'pw');
    expect((await call(rt, token, 'DELETE', '/v1/vault?backups=true')).status).toBe(204);
    expect((await call(rt, token, 'GET', '/v1/vault')).json).toMatchObject({ registered: false });
    expect(await list(token)).toEqual([]);
    expect((await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('leaver')))).toEqual([]);
    expect((await openUploads(rt)).length).toBe(uploads.length - 1);
    expect((await call(rt, token, 'POST', `/v1/backups/${pending.backupId}/complete`, { parts: [] })).status).toBe(400);
    expect((await call(rt, token, 'POST', `/v1/backups/${pending.backupId}/complete`, { parts: [{ partNumber: 1, etag: 'x' }, { partNumber: 2, etag: 'y' }] })).status).toBe(404);
  });
});
