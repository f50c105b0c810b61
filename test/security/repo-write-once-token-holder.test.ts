// Attacker: a holder of a valid bearer token (a stolen one, without K) against the objects of a repository
// (docs/threat-model.md "Repository"). Upload URLs are write-once (`If-None-Match: *` signed into the presigned
// URL; the local object store enforces it like S3): every URL trick — the 5-byte overwrite of an existing
// snapshot found in review, a longer body, another key, the condition left out or changed, a config of other
// bytes — is refused, and the store's objects, listed with their bytes before and after, are unchanged:
// overwritten 0. And without K the API itself changes nothing: every mutating route needs a signature by the
// repository's signing key (docs/protocol.md "Signed requests"); unsigned, signed by another key, replayed, another
// account's, stale or altered requests, a stolen lock id: objects deleted 0, overwritten 0, uploaded 0 (the
// store listed with its bytes before and after), and the repository's table item (locks, usage, key) unchanged.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isClientError } from '../../client/errors.js';
import { ApiClient } from '../../client/http.js';
import { backup } from '../../client/repo/commands/backup.js';
import { HttpRepoStore } from '../../client/repo/storage/http-store.js';
import { initRepository, openRepository } from '../../client/repo/repository.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestSigner } from '../../client/repo/storage/signing.js';
import { documentClient } from '../../functions/adapters/document-client.js';
import { DynamoRepoItemStore } from '../../functions/adapters/dynamo-repo-store.js';
import { call, download, downloadUrl, newId, ownerSignature, putObjects, signerOf, storedKeys, tableItems, type Answer } from '../helpers/repo.js';
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

/** The account's repository item as stored (locks, usage, signing key, nonces). */
const repoItem = async (account = 'alice') => (await tableItems(rt, account)).find((i) => i.sk === 'repo');

/** Everything a token holder could have changed: the store's objects with their bytes, and alice's repo item. */
const state = async () => ({ objects: await objects(), item: await repoItem() });

/** Every mutating route, with a body a device would send (`lockId`: a live lock of the owner's, stolen). */
function mutations(lockId: string): { method: string; path: string; body?: unknown }[] {
  return [
    { method: 'POST', path: '/v1/repo/uploads', body: { objects: [{ type: 'data', id: newId(), size: 5 }] } },
    { method: 'POST', path: '/v1/repo/uploads', body: { objects: [{ type: 'snapshots', id: snapId, size: 5 }] } },
    { method: 'POST', path: '/v1/repo/delete', body: { lockId, objects: [{ type: 'snapshots', id: snapId }] } },
    { method: 'POST', path: '/v1/repo/undelete', body: { lockId, since: new Date(Date.now() - 3_600_000).toISOString() } },
    { method: 'POST', path: '/v1/repo/locks', body: { exclusive: true, ttlSeconds: 3600 } },
    { method: 'POST', path: `/v1/repo/locks/${lockId}/refresh` },
    { method: 'DELETE', path: `/v1/repo/locks/${lockId}` },
    { method: 'DELETE', path: '/v1/vault?backups=true' },
  ];
}

const bodyText = (body: unknown) => (body === undefined ? undefined : JSON.stringify(body));
const problem = (a: Answer) => `${a.status} ${String(a.json?.type).replace('urn:bkv:problem:', '')}`;

describe('a token holder without K changes nothing through the API', () => {
  let lockId: string;
  beforeAll(async () => {
    // the owner's device (with K) holds an exclusive lock whose id the token holder has stolen
    const lock = await call(rt, token, 'POST', '/v1/repo/locks', { exclusive: true, ttlSeconds: 600 });
    expect(lock.status).toBe(201);
    lockId = String(lock.json!.lockId);
  });

  it('an unsigned upload request is refused: 403 signature-required, no URL, uploaded 0', async () => {
    const before = await state();
    const a = await call(rt, token, 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: newId(), size: 5 }] }, 'application/json', { unsigned: true });
    expect(problem(a)).toBe('403 signature-required');
    expect(a.json).not.toHaveProperty('uploads');
    expect(await state()).toEqual(before);
  });

  it('every mutating route unsigned, even with the owner\'s stolen lock id: 403 signature-required, nothing changes', async () => {
    const before = await state();
    for (const m of mutations(lockId)) {
      const a = await call(rt, token, m.method, m.path, m.body, 'application/json', { unsigned: true });
      expect(problem(a), `${m.method} ${m.path}`).toBe('403 signature-required');
    }
    expect(await state()).toEqual(before);
    expect((await download(await downloadUrl(rt, token, 'snapshots', snapId))).equals(snapBytes)).toBe(true);
  });

  it('every mutating route signed by another key (the token holder\'s own): 403 signature-invalid, nothing changes', async () => {
    const before = await state();
    const mine = new RequestSigner(randomBytes(32));
    for (const m of mutations(lockId)) {
      const [path] = m.path.split('?') as [string];
      const routeId = ownerRoute(m.method, m.path);
      const header = mine.header({ account: 'alice', repositoryId: repoId, routeId, method: m.method, path, body: bodyText(m.body) });
      const a = await call(rt, token, m.method, m.path, m.body, 'application/json', { headers: { 'bkv-signature': header } });
      expect(problem(a), `${m.method} ${m.path}`).toBe('403 signature-invalid');
    }
    expect(await state()).toEqual(before);
  });

  it('registering its own key instead of the owner\'s, or a config with it: 409 signing-key-mismatch, nothing changes', async () => {
    const before = await state();
    const mine = new RequestSigner(randomBytes(32));
    for (const body of [{ signingKey: mine.publicKey }, { repositoryId: repoId, size: 4, signingKey: mine.publicKey }, { repositoryId: newId(), size: 4, signingKey: mine.publicKey }]) {
      const header = mine.header({ account: 'alice', repositoryId: (body as { repositoryId?: string }).repositoryId ?? repoId, routeId: 'repo.createConfig', method: 'POST', path: '/v1/repo/config', body: JSON.stringify(body) });
      const a = await call(rt, token, 'POST', '/v1/repo/config', body, 'application/json', { headers: { 'bkv-signature': header } });
      expect(problem(a)).toBe('409 signing-key-mismatch');
    }
    expect(await state()).toEqual(before);
  });

  it('a replayed signature of the owner\'s (a request seen once, sent again): 409 signature-replayed, done once only', async () => {
    const body = { objects: [{ type: 'data', id: newId(), size: 5 }] };
    const header = await ownerSignature(rt, token, 'POST', '/v1/repo/uploads', JSON.stringify(body));
    expect((await call(rt, token, 'POST', '/v1/repo/uploads', body, 'application/json', { headers: header })).status).toBe(200);
    const before = await state();
    const again = await call(rt, token, 'POST', '/v1/repo/uploads', body, 'application/json', { headers: header });
    expect(problem(again)).toBe('409 signature-replayed');
    const unlock = await ownerSignature(rt, token, 'DELETE', `/v1/repo/locks/${lockId}`, undefined);
    // a replay of a request never seen by the server is just the owner's request; a replay of one it saw is refused
    const refresh = await ownerSignature(rt, token, 'POST', `/v1/repo/locks/${lockId}/refresh`, undefined);
    expect((await call(rt, token, 'POST', `/v1/repo/locks/${lockId}/refresh`, undefined, 'application/json', { headers: refresh })).status).toBe(200);
    const afterRefresh = await state();
    expect(problem(await call(rt, token, 'POST', `/v1/repo/locks/${lockId}/refresh`, undefined, 'application/json', { headers: refresh }))).toBe('409 signature-replayed');
    expect(await state()).toEqual(afterRefresh);
    expect(before.objects).toEqual(afterRefresh.objects);
    expect(unlock['bkv-signature']).toMatch(/^v1\./);
  });

  it('another account\'s signature (bob\'s device signing for bob) under alice\'s token: 403 signature-invalid', async () => {
    const bobToken = await rt.token('bob');
    expect((await call(rt, bobToken, 'POST', '/v1/repo/config', { repositoryId: newId(), size: 4 })).status).toBe(201);
    const before = await state();
    const bobItem = await repoItem('bob');
    for (const m of mutations(lockId)) {
      const header = await ownerSignature(rt, bobToken, m.method, m.path, bodyText(m.body));
      const a = await call(rt, token, m.method, m.path, m.body, 'application/json', { headers: header });
      expect(problem(a), `${m.method} ${m.path}`).toBe('403 signature-invalid');
      // bob's key signing over alice's account is not alice's key either
      const [path] = m.path.split('?') as [string];
      const forged = signerOf('bob').header({ account: 'alice', repositoryId: repoId, routeId: ownerRoute(m.method, m.path), method: m.method, path, body: bodyText(m.body) });
      expect(problem(await call(rt, token, m.method, m.path, m.body, 'application/json', { headers: { 'bkv-signature': forged } }))).toBe('403 signature-invalid');
    }
    expect(await state()).toEqual(before);
    expect(await repoItem('bob')).toEqual(bobItem);
  });

  it('an altered request (longer, another object, another lock, another path) or a stale or far-future expiry is refused', async () => {
    const before = await state();
    const sent = { objects: [{ type: 'data', id: newId(), size: 5 }] };
    const header = await ownerSignature(rt, token, 'POST', '/v1/repo/uploads', JSON.stringify(sent));
    const altered: [string, string, unknown][] = [
      ['POST', '/v1/repo/uploads', { objects: [{ ...sent.objects[0], size: 6 }] }],
      ['POST', '/v1/repo/uploads', { objects: [{ type: 'snapshots', id: snapId, size: 5 }] }],
      ['POST', '/v1/repo/delete', { lockId, objects: [{ type: 'snapshots', id: snapId }] }],
      ['POST', `/v1/repo/locks/${lockId}/refresh`, undefined],
    ];
    for (const [method, path, body] of altered) {
      expect(problem(await call(rt, token, method, path, body, 'application/json', { headers: header })), path).toBe('403 signature-invalid');
    }
    const owner = signerOf('alice');
    const at = (expires: number) => {
      const parts = owner.header({ account: 'alice', repositoryId: repoId, routeId: 'repo.uploads', method: 'POST', path: '/v1/repo/uploads', body: JSON.stringify(sent) }).split('.');
      parts[2] = String(expires); // the expiry is signed: a changed one is refused as stale first, then as invalid
      return { 'bkv-signature': parts.join('.') };
    };
    const now = Math.floor(Date.now() / 1000);
    expect(problem(await call(rt, token, 'POST', '/v1/repo/uploads', sent, 'application/json', { headers: at(now - 1) }))).toBe('403 signature-expired');
    expect(problem(await call(rt, token, 'POST', '/v1/repo/uploads', sent, 'application/json', { headers: at(now + 3600) }))).toBe('403 signature-expired');
    expect(problem(await call(rt, token, 'POST', '/v1/repo/uploads', sent, 'application/json', { headers: at(now + 200) }))).toBe('403 signature-invalid');
    for (const bad of ['v1', 'v1.x.1.y', `v2.${'A'.repeat(22)}.${now + 60}.${'A'.repeat(86)}`, 'Bearer x']) {
      expect(problem(await call(rt, token, 'POST', '/v1/repo/uploads', sent, 'application/json', { headers: { 'bkv-signature': bad } }))).toBe('403 signature-invalid');
    }
    expect(await state()).toEqual(before);
  });

  it('a repository made before keys were registered: without the owner\'s key nothing is signed, so nothing changes', async () => {
    // carol's repository item has a config id and no key (as one made by an older bkv)
    const carol = await rt.token('carol');
    await new DynamoRepoItemStore(documentClient(rt.dynamo.client), rt.dynamo.table).setRepositoryId('carol', newId(), Date.now());
    const before = await repoItem('carol');
    for (const m of mutations(lockId)) {
      const [path] = m.path.split('?') as [string];
      const header = new RequestSigner(randomBytes(32)).header({ account: 'carol', repositoryId: String(before!.repoId), routeId: ownerRoute(m.method, m.path), method: m.method, path, body: bodyText(m.body) });
      expect(problem(await call(rt, carol, m.method, m.path, m.body, 'application/json', { headers: { 'bkv-signature': header } }))).toBe('409 signing-key-missing');
      expect(problem(await call(rt, carol, m.method, m.path, m.body, 'application/json', { unsigned: true }))).toBe('403 signature-required');
    }
    expect(await repoItem('carol')).toEqual(before);
  });
});

/** The route id the owner signs a request to `path` with. */
function ownerRoute(method: string, path: string): string {
  const ids: Record<string, string> = { '/v1/repo/uploads': 'repo.uploads', '/v1/repo/delete': 'repo.delete', '/v1/repo/undelete': 'repo.undelete', '/v1/repo/locks': 'repo.lock' };
  if (path.startsWith('/v1/vault')) return 'vault.delete';
  if (ids[path]) return ids[path];
  return path.endsWith('/refresh') ? 'repo.refresh' : method === 'DELETE' ? 'repo.unlock' : 'repo.lock';
}

describe('a repository made before signing keys: the first-use window (docs/threat-model.md)', () => {
  /** A repository of `account` made with K, its key then removed from the table: as an older bkv left it. */
  async function legacyRepository(account: string) {
    const key = randomBytes(32);
    const owner = new HttpRepoStore(new ApiClient({ server: rt.url, token: await rt.token(account) }), { backoffMs: 10 });
    const repo = await initRepository(owner, key, { workers: 0 });
    const src = join(rt.dataDir, `src-${account}`);
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, 'f'), randomBytes(1000));
    const snap = (await backup(repo, { paths: [src] })).snapshot;
    await repo.close();
    owner.close();
    await documentClient(rt.dynamo.client).send(new UpdateCommand({ TableName: rt.dynamo.table, Key: { pk: account, sk: 'repo' }, UpdateExpression: 'REMOVE signKey' }));
    return { key, snap, src };
  }

  it('the owner\'s first open with K registers K\'s key; a token holder\'s key after that is 409 and changes nothing', async () => {
    const { key } = await legacyRepository('dora');
    const token = await rt.token('dora');
    expect((await call(rt, token, 'GET', '/v1/repo')).json?.signingKey).toBeNull();
    const store = new HttpRepoStore(new ApiClient({ server: rt.url, token }), { backoffMs: 10 });
    await (await openRepository(store, key, { workers: 0 })).close();
    const k = new RequestSigner(key).publicKey;
    expect((await call(rt, token, 'GET', '/v1/repo')).json?.signingKey).toBe(k);
    const before = await repoItem('dora');
    const mine = new RequestSigner(randomBytes(32));
    const body = { signingKey: mine.publicKey };
    const header = mine.header({ account: 'dora', repositoryId: String(before!.repoId), routeId: 'repo.createConfig', method: 'POST', path: '/v1/repo/config', body: JSON.stringify(body) });
    expect(problem(await call(rt, token, 'POST', '/v1/repo/config', body, 'application/json', { headers: { 'bkv-signature': header } }))).toBe('409 signing-key-mismatch');
    expect(await repoItem('dora')).toEqual(before);
    store.close();
  });

  it('a token holder that registers first (the bound): the owner\'s changes are refused with a clear error, reads go on', async () => {
    const { key, snap } = await legacyRepository('ezra');
    const token = await rt.token('ezra');
    const mine = new RequestSigner(randomBytes(32));
    const body = { signingKey: mine.publicKey };
    const repositoryId = String((await call(rt, token, 'GET', '/v1/repo')).json?.repositoryId);
    const header = mine.header({ account: 'ezra', repositoryId, routeId: 'repo.createConfig', method: 'POST', path: '/v1/repo/config', body: JSON.stringify(body) });
    expect((await call(rt, token, 'POST', '/v1/repo/config', body, 'application/json', { headers: { 'bkv-signature': header } })).status).toBe(200);
    const store = new HttpRepoStore(new ApiClient({ server: rt.url, token }), { backoffMs: 10 });
    const repo = await openRepository(store, key, { workers: 0 });
    expect((await repo.snapshots()).map((s) => s.id)).toEqual([snap.id]); // reads go on
    const e = await store.lock({ exclusive: false }).then(() => undefined, (x: unknown) => x);
    expect(isClientError(e, 'wrong-key')).toBe(true);
    expect((e as Error).message).toMatch(/another signing key is registered for this repository/);
    await repo.close();
    store.close();
  });
});
