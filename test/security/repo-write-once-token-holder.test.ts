// Attacker: a holder of a valid bearer token (a stolen one, without K) against the objects of a repository
// (docs/threat-model.md "Repository"). Upload URLs are write-once (`If-None-Match: *` signed into the presigned
// URL; the local object store enforces it like S3): every URL trick — the 5-byte overwrite of an existing
// snapshot found in review, a longer body, another key, the condition left out or changed, a config of other
// bytes — is refused, and the store's objects, listed with their bytes before and after, are unchanged:
// overwritten 0. (Deleting and uploading new objects without K are issue 25's later steps: see the threat model.)

import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, download, downloadUrl, newId, putObjects, storedKeys } from '../helpers/repo.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let token: string;
const repoId = newId();
const snapId = newId();
const snapBytes = randomBytes(300);
beforeAll(async () => {
  rt = await startTestRuntime();
  token = await rt.token('alice');
  const cfg = await call(rt, token, 'POST', '/v1/repo/config', { repositoryId: repoId, size: 4 });
  expect((await fetch(String(cfg.json!.url), { method: 'PUT', headers: cfg.json!.headers as Record<string, string>, body: 'conf' })).status).toBe(200);
  await putObjects(rt, token, [{ type: 'snapshots', id: snapId, body: snapBytes }]);
});
afterAll(async () => rt.stop());

/** Every object of the store with a hash of its bytes: what an attacker could have changed. */
async function objects(): Promise<Map<string, string>> {
  const root = join(rt.s3.directory, rt.s3.bucket);
  const out = new Map<string, string>();
  for (const key of await storedKeys(rt)) out.set(key, createHash('sha256').update(await readFile(join(root, key))).digest('hex'));
  return out;
}

/** An upload URL for an object of `size` bytes. */
async function uploadUrl(type: string, id: string, size: number): Promise<{ url: string; headers: Record<string, string> }> {
  const a = await call(rt, token, 'POST', '/v1/repo/uploads', { objects: [{ type, id, size }] });
  expect(a.status).toBe(200);
  return (a.json!.uploads as { url: string; headers: Record<string, string> }[])[0]!;
}

describe('a token holder cannot overwrite an object through an upload URL', () => {
  it('the finding: a 5-byte PUT to an existing snapshot id is refused (412) and the snapshot keeps its bytes', async () => {
    const before = await objects();
    const u = await uploadUrl('snapshots', snapId, 5);
    const res = await fetch(u.url, { method: 'PUT', headers: u.headers, body: 'xxxxx' });
    expect(res.status).toBe(412);
    expect(await res.text()).toContain('<Code>PreconditionFailed</Code>');
    expect(await objects()).toEqual(before);
    expect((await download(await downloadUrl(rt, token, 'snapshots', snapId))).equals(snapBytes)).toBe(true);
  });

  it('the same length, the exact bytes the object had, or the condition left out or changed: nothing is overwritten', async () => {
    const before = await objects();
    const u = await uploadUrl('snapshots', snapId, snapBytes.length);
    const { 'if-none-match': _condition, ...withoutCondition } = u.headers;
    const tries: [Record<string, string>, Buffer, number][] = [
      [u.headers, randomBytes(snapBytes.length), 412],
      [u.headers, snapBytes, 412],
      [withoutCondition, randomBytes(snapBytes.length), 403], // the condition is signed: leaving it out breaks the signature
      [{ ...u.headers, 'if-none-match': '"etag"' }, randomBytes(snapBytes.length), 403],
      [{ ...withoutCondition, 'if-match': '*' }, randomBytes(snapBytes.length), 403],
    ];
    for (const [headers, body, status] of tries) {
      expect((await fetch(u.url, { method: 'PUT', headers, body })).status).toBe(status);
    }
    expect(await objects()).toEqual(before);
  });

  it('a longer body, or the URL pointed at another key, is refused and stores nothing', async () => {
    const before = await objects();
    const fresh = newId();
    const u = await uploadUrl('data', fresh, 5);
    const longer = await fetch(u.url, { method: 'PUT', headers: { ...u.headers, 'content-length': '6' }, body: 'xxxxxx' });
    expect(longer.status).toBe(403);
    const other = new URL(u.url);
    other.pathname = other.pathname.replace(`/data/${fresh}`, `/snapshots/${snapId}`);
    expect((await fetch(other, { method: 'PUT', headers: u.headers, body: 'xxxxx' })).status).toBe(403);
    expect(await objects()).toEqual(before);
  });

  it('a config URL for the existing repository id cannot replace the config', async () => {
    const before = await objects();
    const cfg = await call(rt, token, 'POST', '/v1/repo/config', { repositoryId: repoId, size: 4 });
    expect(cfg.status).toBe(201);
    expect((await fetch(String(cfg.json!.url), { method: 'PUT', headers: cfg.json!.headers as Record<string, string>, body: 'evil' })).status).toBe(412);
    expect(await objects()).toEqual(before);
  });

  it('two racing create-only PUTs of one new object: exactly one is stored, the other is 412', async () => {
    const id = newId();
    const [a, b] = [await uploadUrl('data', id, 64), await uploadUrl('data', id, 64)];
    const [ba, bb] = [randomBytes(64), randomBytes(64)];
    const [sa, sb] = await Promise.all([
      fetch(a.url, { method: 'PUT', headers: a.headers, body: ba }).then((r) => r.status),
      fetch(b.url, { method: 'PUT', headers: b.headers, body: bb }).then((r) => r.status),
    ]);
    expect([sa, sb].sort()).toEqual([200, 412]);
    expect((await download(await downloadUrl(rt, token, 'data', id))).equals(sa === 200 ? ba : bb)).toBe(true);
    expect((await storedKeys(rt)).filter((k) => k.includes('.tmp-'))).toEqual([]);
  });
});
