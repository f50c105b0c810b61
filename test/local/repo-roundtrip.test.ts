// The repository API end to end on the local runtime (handlers + dynalite + the file-backed object store): config
// create-only, uploads under the quota, downloads whole and ranged, listing in id order with pages, locks, deletion
// under an exclusive lock with the usage following, and `DELETE /v1/vault?backups=true` removing everything.

import { randomBytes } from 'node:crypto';
import { readFile, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, download, downloadUrl, keyOf, newId, putObjects, storedKeys, tableItems } from '../helpers/repo.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
/** The service's clock runs this far ahead of the wall clock (URL expiry as the quota sees it). */
let offset = 0;
/** Long enough for every upload URL handed out so far to stop counting (2 × (URL lifetime + 15 min), docs/protocol.md). */
const URLS_EXPIRED_MS = 2 * (3600 + 15 * 60) * 1000 + 1000;
beforeAll(async () => {
  rt = await startTestRuntime({ repoQuotaBytes: 2 * 1024 * 1024, clock: { now: () => Date.now() + offset } });
});
afterAll(async () => rt.stop());

describe('repository API on the local runtime', () => {
  it('config is create-only; the same id again is a retry; another id is 409 repository-exists', async () => {
    const token = await rt.token('cfg');
    expect((await call(rt, token, 'GET', '/v1/repo')).json).toEqual({ repositoryId: null, usedBytes: 0, quotaBytes: 2 * 1024 * 1024, signingKey: null, locks: [] });
    const id = newId();
    const first = await call(rt, token, 'POST', '/v1/repo/config', { repositoryId: id, size: 5 });
    expect(first.status).toBe(201);
    const put = await fetch(String(first.json!.url), { method: 'PUT', headers: first.json!.headers as Record<string, string>, body: 'hello' });
    expect(put.status).toBe(200);
    expect((await call(rt, token, 'POST', '/v1/repo/config', { repositoryId: id, size: 5 })).status).toBe(201);
    const other = await call(rt, token, 'POST', '/v1/repo/config', { repositoryId: newId(), size: 5 });
    expect(other).toMatchObject({ status: 409, json: { type: 'urn:bkv:problem:repository-exists', repositoryId: id } });
    expect((await call(rt, token, 'GET', '/v1/repo')).json).toMatchObject({ repositoryId: id });
    expect((await download(await downloadUrl(rt, token, 'config', id))).toString()).toBe('hello');
    // The object is a plain file where docs/repository.md says.
    expect(await readFile(join(rt.s3.directory, rt.s3.bucket, keyOf('cfg', 'config', id)), 'utf8')).toBe('hello');
  });

  it('uploads, ranged downloads (206), a missing object is 404, a wrong length is refused', async () => {
    const token = await rt.token('up');
    const id = newId();
    const body = randomBytes(100_000);
    await putObjects(rt, token, [{ type: 'data', id, body }]);
    const url = await downloadUrl(rt, token, 'data', id);
    expect((await download(url)).equals(body)).toBe(true);
    const ranged = await fetch(url, { headers: { range: 'bytes=10-19' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 10-19/100000');
    expect(Buffer.from(await ranged.arrayBuffer()).equals(body.subarray(10, 20))).toBe(true);
    expect((await fetch(url, { headers: { range: 'bytes=100000-' } })).status).toBe(416);
    expect((await fetch(await downloadUrl(rt, token, 'data', newId()))).status).toBe(404);
    const a = await call(rt, token, 'POST', '/v1/repo/uploads', { objects: [{ type: 'index', id: newId(), size: 10 }] });
    const u = (a.json!.uploads as { url: string }[])[0]!;
    expect((await fetch(u.url, { method: 'PUT', body: 'short' })).status).toBe(403); // content-length is signed
    expect((await call(rt, token, 'GET', '/v1/repo')).json).toMatchObject({ usedBytes: 100_010 });
  });

  it('the quota: a request beyond it is 413 quota-exceeded with the figures, and reserves nothing', async () => {
    const token = await rt.token('quota');
    const big = { objects: [{ type: 'data', id: newId(), size: 2 * 1024 * 1024 }] };
    expect((await call(rt, token, 'POST', '/v1/repo/uploads', big)).status).toBe(200);
    const over = await call(rt, token, 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: newId(), size: 1 }] });
    expect(over).toMatchObject({ status: 413, json: { type: 'urn:bkv:problem:quota-exceeded', quotaBytes: 2 * 1024 * 1024, usedBytes: 2 * 1024 * 1024 } });
    // An exclusive lock recounts from the listing, but the URL can still be used: its bytes stay reserved.
    const lock = await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: true, ttlSeconds: 30 });
    expect(lock.status).toBe(201);
    expect((await call(rt, token, 'GET', '/v1/repo')).json).toMatchObject({ usedBytes: 2 * 1024 * 1024 });
    await call(rt, token, 'DELETE', `/v1/repo/locks/${String(lock.json!.lockId)}`);
    // Once the URL has expired, the next exclusive lock finds the upload never happened: the usage goes back to 0.
    offset += URLS_EXPIRED_MS;
    expect((await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: true })).status).toBe(201);
    expect((await call(rt, token, 'GET', '/v1/repo')).json).toMatchObject({ usedBytes: 0 });
  });

  it('lists in id order with pages, and deletes under an exclusive lock only', async () => {
    const token = await rt.token('lister');
    const ids = Array.from({ length: 5 }, newId).sort();
    await putObjects(rt, token, ids.map((id) => ({ type: 'index', id, body: Buffer.from(id) })));
    offset += URLS_EXPIRED_MS; // objects older than every valid URL: a delete releases their sizes
    const page1 = await call(rt, token, 'GET', '/v1/repo/objects?type=index&limit=2');
    expect(page1.json).toEqual({ objects: ids.slice(0, 2).map((id) => ({ type: 'index', id, size: 64 })), next: ids[1] });
    const rest = await call(rt, token, 'GET', `/v1/repo/objects?type=index&after=${ids[1]}`);
    expect(rest.json).toEqual({ objects: ids.slice(2).map((id) => ({ type: 'index', id, size: 64 })) });
    expect((await call(rt, token, 'GET', '/v1/repo/objects?type=data')).json).toEqual({ objects: [] });

    const shared = await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: false, description: 'backup on laptop' });
    expect(shared.status).toBe(201);
    const refused = await call(rt, token, 'POST', '/v1/repo/delete', { lockId: shared.json!.lockId, objects: [{ type: 'index', id: ids[0] }] });
    expect(refused).toMatchObject({ status: 409, json: { type: 'urn:bkv:problem:lock-lost' } });
    const ex = await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: true });
    expect(ex).toMatchObject({ status: 409, json: { type: 'urn:bkv:problem:repository-locked', exclusive: false, description: 'backup on laptop' } });
    expect((await call(rt, token, 'DELETE', `/v1/repo/locks/${String(shared.json!.lockId)}`)).status).toBe(204);
    const lock = await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: true, ttlSeconds: 60 });
    expect(lock.status).toBe(201);
    const missing = newId();
    const del = await call(rt, token, 'POST', '/v1/repo/delete', { lockId: lock.json!.lockId, objects: [{ type: 'index', id: ids[0] }, { type: 'index', id: missing }] });
    expect(del.json).toEqual({ deleted: [{ type: 'index', id: ids[0] }], missing: [{ type: 'index', id: missing }] });
    expect((await call(rt, token, 'GET', '/v1/repo')).json).toMatchObject({ usedBytes: 4 * 64 });
    // An object younger than a valid URL (that URL could write it again) stays counted when deleted, until a recount.
    const young = newId();
    await putObjects(rt, token, [{ type: 'index', id: young, body: Buffer.from(young) }]);
    const written = (Date.now() + offset) / 1000; // written now, as the service's clock tells the time
    await utimes(join(rt.s3.directory, rt.s3.bucket, keyOf('lister', 'index', young)), written, written);
    const del2 = await call(rt, token, 'POST', '/v1/repo/delete', { lockId: lock.json!.lockId, objects: [{ type: 'index', id: young }] });
    expect(del2.json).toEqual({ deleted: [{ type: 'index', id: young }], missing: [] });
    expect((await call(rt, token, 'GET', '/v1/repo')).json).toMatchObject({ usedBytes: 5 * 64 });
    const refreshed = await call(rt, token, 'POST', `/v1/repo/locks/${String(lock.json!.lockId)}/refresh`);
    expect(refreshed.status).toBe(200);
  });

  it('DELETE /v1/vault?backups=true removes every object and the repo item (once no upload URL counts)', async () => {
    const token = await rt.token('leaver');
    const [upload] = await putObjects(rt, token, [{ type: 'data', id: newId(), body: randomBytes(10) }]);
    await call(rt, token, 'POST', '/v1/repo/config', { repositoryId: newId(), size: 5 });
    const prefix = `accounts/${Buffer.from('leaver').toString('base64url')}/`;
    expect((await storedKeys(rt)).some((k) => k.startsWith(prefix))).toBe(true);
    expect((await call(rt, token, 'DELETE', '/v1/vault?backups=true')).status).toBe(204);
    expect((await storedKeys(rt)).some((k) => k.startsWith(prefix))).toBe(false);
    // The upload URL is still valid and could store its 10 bytes again: only that usage is kept.
    expect((await call(rt, token, 'GET', '/v1/repo')).json).toEqual({ repositoryId: null, usedBytes: 10, quotaBytes: 2 * 1024 * 1024, signingKey: null, locks: [] });
    expect((await fetch(upload!.url, { method: 'PUT', headers: upload!.headers, body: randomBytes(10) })).status).toBe(200);
    offset += URLS_EXPIRED_MS;
    expect((await call(rt, token, 'DELETE', '/v1/vault?backups=true')).status).toBe(204);
    expect((await storedKeys(rt)).some((k) => k.startsWith(prefix))).toBe(false);
    expect((await tableItems(rt, 'leaver')).filter((i) => i.sk === 'repo')).toEqual([]);
  });
});
