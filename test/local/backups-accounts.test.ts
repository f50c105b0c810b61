// Cross-account isolation of the storage API (invariant 7): account B, knowing A's backup ids, can neither list,
// read, complete nor delete A's backups, and every URL B obtains lies under B's own prefix. Accounts whose
// encodings share a beginning ("abc", "abcd") never touch each other's objects.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateBackupResponse, GetBackupResponse, MIN_PART_SIZE } from '../../protocol/backups-schemas.js';
import { asCreated, backup, call, download, openUploads, storedKeys, uploadParts } from '../helpers/backups.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let a: string;
let b: string;
let committed: string;
let pending: ReturnType<typeof asCreated>;
const prefixOf = (account: string) => `accounts/${Buffer.from(account).toString('base64url')}/`;

beforeAll(async () => {
  rt = await startTestRuntime();
  a = await rt.token('alice');
  b = await rt.token('bob');
  committed = await backup(rt, a, Buffer.from('alice data'));
  pending = asCreated(await call(rt, a, 'POST', '/v1/backups', { size: MIN_PART_SIZE + 5 }));
});
afterAll(async () => rt.stop());

async function aliceState() {
  return {
    list: (await call(rt, a, 'GET', '/v1/backups')).json,
    keys: (await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('alice'))),
    uploads: await openUploads(rt, prefixOf('alice')),
  };
}

describe("account B and A's backups", () => {
  it.for([
    ['get', 'GET', () => `/v1/backups/${committed}`, undefined],
    ['complete the committed one', 'POST', () => `/v1/backups/${committed}/complete`, { parts: [{ partNumber: 1, etag: 'x' }] }],
    ['complete the pending one', 'POST', () => `/v1/backups/${pending.backupId}/complete`, { parts: [{ partNumber: 1, etag: 'x' }, { partNumber: 2, etag: 'y' }] }],
    ['delete the committed one', 'DELETE', () => `/v1/backups/${committed}`, undefined],
    ['delete the pending one', 'DELETE', () => `/v1/backups/${pending.backupId}`, undefined],
  ] as const)('%s → 404, A unchanged', async ([, method, path, body]) => {
    const before = await aliceState();
    const r = await call(rt, b, method, path(), body);
    expect(r).toMatchObject({ status: 404, type: 'application/problem+json', json: { type: 'urn:bkv:problem:not-found' } });
    expect(await aliceState()).toEqual(before);
  });

  it("B's list and latest never show A's backups", async () => {
    expect((await call(rt, b, 'GET', '/v1/backups')).json).toEqual({ backups: [] });
    expect((await call(rt, b, 'GET', '/v1/backups/latest')).status).toBe(404);
  });

  it('every URL B obtains is under B\'s prefix, and B\'s backups leave A\'s alone', async () => {
    const before = await aliceState();
    const urls: string[] = [];
    const small = CreateBackupResponse.parse((await call(rt, b, 'POST', '/v1/backups', { size: 7 })).json);
    const big = CreateBackupResponse.parse((await call(rt, b, 'POST', '/v1/backups', { size: MIN_PART_SIZE * 3 })).json);
    urls.push(...small.parts.map((p) => p.url), ...big.parts.map((p) => p.url));
    await call(rt, b, 'POST', `/v1/backups/${small.backupId}/complete`, { parts: await uploadParts(small, Buffer.from('bob 123')) });
    for (const ref of [small.backupId, 'latest']) {
      urls.push(GetBackupResponse.parse((await call(rt, b, 'GET', `/v1/backups/${ref}`)).json).downloadUrl);
    }
    expect(urls.length).toBe(1 + 3 + 2);
    for (const url of urls) {
      const path = decodeURIComponent(new URL(url).pathname);
      expect(path.startsWith(`/${rt.s3.bucket}/${prefixOf('bob')}backups/`)).toBe(true);
      expect(path).not.toContain(prefixOf('alice'));
    }
    expect((await download(urls[4]!)).toString()).toBe('bob 123');
    const after = await aliceState();
    expect(after.list).toEqual(before.list);
    expect(after.keys).toEqual(before.keys);
    expect(after.uploads).toEqual(before.uploads);
  });

  it('B deleting its vault with backups=true deletes only B\'s backups', async () => {
    const before = await aliceState();
    expect((await call(rt, b, 'DELETE', '/v1/vault?backups=true')).status).toBe(204);
    expect((await storedKeys(rt)).filter((k) => k.startsWith(prefixOf('bob')))).toEqual([]);
    const after = await aliceState();
    expect(after).toEqual(before);
  });

  it('"abc" and "abcd" (one encoding starts the other) keep their objects apart', async () => {
    const abc = await rt.token('abc');
    const abcd = await rt.token('abcd');
    expect(prefixOf('abcd').startsWith(prefixOf('abc').slice(0, -1))).toBe(true); // the risk is real without the '/'
    const kept = await backup(rt, abc, Buffer.from('abc'));
    await backup(rt, abcd, Buffer.from('abcd'));
    await call(rt, abcd, 'POST', '/v1/backups', { size: 1 }); // tidies abcd's prefix
    expect((await call(rt, abcd, 'DELETE', '/v1/vault?backups=true')).status).toBe(204);
    const got = GetBackupResponse.parse((await call(rt, abc, 'GET', '/v1/backups/latest')).json);
    expect(got.backupId).toBe(kept);
    expect((await download(got.downloadUrl)).toString()).toBe('abc');
  });

  it('A still completes its pending backup and reads its committed one afterwards', async () => {
    const data = Buffer.alloc(MIN_PART_SIZE + 5, 0xa1);
    const parts = await uploadParts(pending, data);
    expect((await call(rt, a, 'POST', `/v1/backups/${pending.backupId}/complete`, { parts })).status).toBe(200);
    const old = GetBackupResponse.parse((await call(rt, a, 'GET', `/v1/backups/${committed}`)).json);
    expect((await download(old.downloadUrl)).toString()).toBe('alice data');
  });
});
