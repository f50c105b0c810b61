// Attacker: a holder of a valid token against its own account's quota (docs/threat-model.md "What a token holder
// can do", docs/protocol.md "Usage and quota"), on the local runtime (handlers + dynalite + the file-backed object
// store). Two ways the third review stored more than the quota:
// (a) reserve upload URLs for the whole quota, take an exclusive lock (the recount finds nothing stored yet), and
//     again: every round's URLs stay valid, so 5 rounds stored 5× the quota;
// (b) send the same delete 5 times at once: each one released the deleted sizes, so the usage fell far below what
//     is stored.
// Afterwards: a reservation outlives every recount until its URLs expire, and a delete releases what it really
// removed, exactly once.

import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, keyOf, newId, putObjects, storedKeys, type Upload } from '../helpers/repo.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

const QUOTA = 2 * 1024 * 1024;
const URL_TTL_S = 60;
/** The service's clock runs `offset` ms ahead of the wall clock (locks and URL expiry, as the service sees them). */
let offset = 0;
let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime({ repoQuotaBytes: QUOTA, urlTtlSeconds: URL_TTL_S, clock: { now: () => Date.now() + offset } });
});
afterAll(async () => rt.stop());

/** Bytes the object store holds under the account's prefix (the files themselves). */
async function storedBytes(account: string): Promise<number> {
  const prefix = `accounts/${Buffer.from(account).toString('base64url')}/`;
  let n = 0;
  for (const key of (await storedKeys(rt)).filter((k) => k.startsWith(prefix))) n += (await stat(join(rt.s3.directory, rt.s3.bucket, key))).size;
  return n;
}

const usage = async (token: string) => Number((await call(rt, token, 'GET', '/v1/repo')).json!.usedBytes);

describe('a token holder against its own quota', () => {
  it('(a) reserving the whole quota around exclusive locks 5 times stores at most the quota: reservations outlive the recount', async () => {
    const token = await rt.token('hoarder');
    const piece = QUOTA / 4;
    const urls: (Upload & { size: number })[] = [];
    const answers: number[] = [];
    for (let round = 0; round < 5; round++) {
      const objects = Array.from({ length: 4 }, () => ({ type: 'data', id: newId(), size: piece }));
      const a = await call(rt, token, 'POST', '/v1/repo/uploads', { objects });
      answers.push(a.status);
      if (a.status === 200) urls.push(...(a.json!.uploads as Upload[]).map((u) => ({ ...u, size: piece })));
      else expect(a.json).toMatchObject({ type: 'urn:bkv:problem:quota-exceeded', quotaBytes: QUOTA });
      const lock = await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: true, ttlSeconds: 30 });
      expect(lock.status).toBe(201);
      expect((await call(rt, token, 'DELETE', `/v1/repo/locks/${String(lock.json!.lockId)}`)).status).toBe(204);
    }
    expect(answers).toEqual([200, 413, 413, 413, 413]);
    for (const u of urls) {
      const res = await fetch(u.url, { method: 'PUT', headers: u.headers, body: randomBytes(u.size) });
      expect(res.status).toBe(200);
    }
    expect(await storedBytes('hoarder')).toBe(QUOTA);
    expect(await usage(token)).toBeGreaterThanOrEqual(QUOTA);
  });

  it('(b) 5 concurrent deletes of the same objects release their sizes once: the usage stays what is stored', async () => {
    const token = await rt.token('releaser');
    const size = 32 * 1024;
    const objects = Array.from({ length: 20 }, () => ({ type: 'data', id: newId(), body: randomBytes(size) }));
    await putObjects(rt, token, objects);
    // The upload URLs are long expired (a reservation counts for at most twice the URL lifetime + 15 minutes): the
    // recount counts only what is stored, and the objects are older than any URL still valid.
    offset += 2 * (URL_TTL_S + 15 * 60) * 1000 + 1000;
    const lock = await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: true, ttlSeconds: 600 });
    expect(lock.status).toBe(201);
    expect(await usage(token)).toBe(20 * size);
    const victims = objects.slice(0, 10).map((o) => ({ type: o.type, id: o.id }));
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(rt, token, 'POST', '/v1/repo/delete', { lockId: lock.json!.lockId, objects: victims })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await storedBytes('releaser')).toBe(10 * size);
    expect(await usage(token)).toBe(10 * size);
    // Each object was deleted by exactly one of the five.
    expect(answers.flatMap((a) => a.json!.deleted as unknown[])).toHaveLength(10);
    expect((await storedKeys(rt)).filter((k) => k.startsWith(keyOf('releaser', 'data', '').slice(0, -1)))).toHaveLength(10);
  });
});
