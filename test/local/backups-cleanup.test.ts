// Uploads never completed are cleaned up: on the account's next create (pending backups past their URLs' expiry
// plus grace, multipart uploads and objects no record owns, uploads beyond 4 in progress) and when the local
// runtime starts. A clock moved by hand stands in for the hour.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMultipartUploadCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PENDING_UPLOADS, STRAY_UPLOAD_AGE_MS } from '../../functions/backups/service.js';
import { COMPLETE_GRACE_MS, DEFAULT_URL_TTL_SECONDS, MIN_PART_SIZE } from '../../protocol/backups-schemas.js';
import { asCreated, backup, call, openUploads, storedKeys, uploadParts } from '../helpers/backups.js';
import { ManualClock } from '../helpers/clock.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

const EXPIRED = DEFAULT_URL_TTL_SECONDS * 1000 + COMPLETE_GRACE_MS + 1;
const prefixOf = (account: string) => `accounts/${Buffer.from(account).toString('base64url')}/`;

let rt: TestRuntime;
let clock: ManualClock;
beforeAll(async () => {
  clock = new ManualClock(Date.now());
  rt = await startTestRuntime({ clock });
});
afterAll(async () => rt.stop());

describe('clean-up on the next create', () => {
  it('multipart uploads and objects that no record owns go; younger strays and other accounts\' stay', async () => {
    const s3 = rt.s3.client; // the runtime's own, signed with its credentials
    const Bucket = rt.s3.bucket;
    const mine = `${prefixOf('tidy')}backups/01aaaaaaaaaaaaaaaaaaaaaaaa.age`;
    const theirs = `${prefixOf('tidy2')}backups/01aaaaaaaaaaaaaaaaaaaaaaaa.age`;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: mine }));
    await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: theirs }));
    await s3.send(new PutObjectCommand({ Bucket, Key: mine, Body: 'orphan' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: theirs, Body: 'orphan' }));
    const token = await rt.token('tidy');
    const uploads = await openUploads(rt);
    expect(uploads).toContain(UploadId);

    await call(rt, token, 'POST', '/v1/backups', { size: 1 });
    expect(await openUploads(rt)).toEqual(expect.arrayContaining([UploadId])); // young: maybe a create in flight
    expect(await storedKeys(rt)).not.toContain(mine);
    expect(await storedKeys(rt)).toContain(theirs);

    clock.advance(STRAY_UPLOAD_AGE_MS + 1000);
    await call(rt, token, 'POST', '/v1/backups', { size: 1 });
    expect(await openUploads(rt)).not.toContain(UploadId);
    expect((await openUploads(rt)).length).toBe(uploads.length - 1);
    expect(await storedKeys(rt)).toContain(theirs);
  });

  it('expired pending backups are aborted and their objects deleted; the committed one stays', async () => {
    const token = await rt.token('stale');
    const kept = await backup(rt, token, Buffer.from('keep me'));
    const multi = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: MIN_PART_SIZE + 1 }));
    const single = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: 3 }));
    await uploadParts(single, Buffer.from('abc'));
    const uploads = await openUploads(rt);
    expect((await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('stale')))).toHaveLength(2);

    clock.advance(EXPIRED - 2);
    await call(rt, token, 'POST', '/v1/backups', { size: 1 });
    expect(await openUploads(rt)).toEqual(uploads); // still within grace
    clock.advance(2);
    await call(rt, token, 'POST', '/v1/backups', { size: 1 });
    expect((await openUploads(rt)).length).toBe(uploads.length - 1);
    expect((await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('stale')))).toEqual([`${prefixOf('stale')}backups/${kept}.age`]);
    const late = await call(rt, token, 'POST', `/v1/backups/${single.backupId}/complete`, { parts: [{ partNumber: 1, etag: 'x' }] });
    expect(late.status).toBe(404);
    expect((await fetch(multi.parts[0]!.url, { method: 'PUT', body: new Uint8Array(multi.partSize) })).status).toBe(404); // NoSuchUpload
    expect((await call(rt, token, 'GET', '/v1/backups')).json).toMatchObject({ backups: [{ backupId: kept }] });
  });

  it('complete past expiry plus grace is a 409 and the upload is cleared', async () => {
    const token = await rt.token('slow');
    const c = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: 4 }));
    const parts = await uploadParts(c, Buffer.from('slow'));
    clock.advance(EXPIRED);
    const r = await call(rt, token, 'POST', `/v1/backups/${c.backupId}/complete`, { parts });
    expect(r).toMatchObject({ status: 409, json: { type: 'urn:bkv:problem:conflict' } });
    expect((await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('slow')))).toEqual([]);
    expect((await call(rt, token, 'GET', '/v1/backups')).json).toEqual({ backups: [] });
  });

  it(`at most ${MAX_PENDING_UPLOADS} uploads in progress: a create beyond that cancels the oldest`, async () => {
    const token = await rt.token('eager');
    const made = [];
    for (let i = 0; i <= MAX_PENDING_UPLOADS; i++) made.push(asCreated(await call(rt, token, 'POST', '/v1/backups', { size: MIN_PART_SIZE + 1 })));
    const [oldest, ...rest] = made;
    const gone = await call(rt, token, 'POST', `/v1/backups/${oldest!.backupId}/complete`, { parts: [{ partNumber: 1, etag: 'x' }, { partNumber: 2, etag: 'y' }] });
    expect(gone.status).toBe(404);
    const put = await fetch(oldest!.parts[0]!.url, { method: 'PUT', body: new Uint8Array(oldest!.partSize) }); // the signed length
    expect(put.status).toBe(404);
    const newest = rest.at(-1)!;
    const data = new Uint8Array(MIN_PART_SIZE + 1);
    const ok = await call(rt, token, 'POST', `/v1/backups/${newest.backupId}/complete`, { parts: await uploadParts(newest, data) });
    expect(ok.status).toBe(200);
  });

});

describe('clean-up when the local runtime starts', () => {
  it('uploads left by a previous run are aborted once expired; committed backups survive the restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bkv-cleanup-'));
    try {
      const c1 = new ManualClock(Date.now());
      const first = await startTestRuntime({ dataDir, inMemory: false, clock: c1 });
      const token = await first.token('restart');
      const kept = await backup(first, token, Buffer.from('survivor'));
      const left = asCreated(await call(first, token, 'POST', '/v1/backups', { size: MIN_PART_SIZE * 2 }));
      await uploadParts(left, new Uint8Array(MIN_PART_SIZE * 2), [1]);
      expect(await openUploads(first)).toHaveLength(1);
      await first.stop();

      const second = await startTestRuntime({ dataDir, inMemory: false, clock: new ManualClock(c1.now() + EXPIRED) });
      try {
        expect(await openUploads(second)).toEqual([]);
        expect((await storedKeys(second))).toEqual([`${prefixOf('restart')}backups/${kept}.age`]);
        // A new token: the issuer names the runtime's port, which a test restart changes (npm start keeps 8787).
        expect((await call(second, await second.token('restart'), 'GET', '/v1/backups')).json).toMatchObject({ backups: [{ backupId: kept }] });
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
