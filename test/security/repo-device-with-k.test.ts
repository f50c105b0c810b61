// Attacker: a compromised device that holds K and a token (ransomware on a laptop), against the local runtime
// (docs/threat-model.md "Repository"). It deletes everything a client can: every snapshot (forget keeping
// none) and every pack and index (prune), then the whole repository (`DELETE /v1/vault?backups=true`). Deletion
// is deferred (the local object store's trash, as S3 versioning in AWS), so `undelete` as of a time before the
// attack brings every object back, and a fresh device without a cache restores every snapshot byte-identical.

import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../client/http.js';
import { backup } from '../../client/repo/commands/backup.js';
import { forget } from '../../client/repo/commands/forget.js';
import { HttpRepoStore } from '../../client/repo/storage/http-store.js';
import { prune } from '../../client/repo/commands/prune.js';
import { initRepository, openRepository } from '../../client/repo/repository.js';
import { restore } from '../../client/repo/commands/restore.js';
import { reviveIndexes, undelete, undeleteSnapshot } from '../../client/repo/commands/undelete.js';
import { call, storedKeys } from '../helpers/repo.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { describeTree, tempDir } from '../client/repo/engine-helpers.js';

let rt: TestRuntime;
let token: string;
const stores: HttpRepoStore[] = [];
const newStore = () => {
  const s = new HttpRepoStore(new ApiClient({ server: rt.url, token }), { backoffMs: 10 });
  stores.push(s);
  return s;
};
beforeAll(async () => {
  rt = await startTestRuntime();
  token = await rt.token('victim');
});
afterAll(async () => {
  for (const s of stores) s.close();
  await rt.stop();
});

const prefix = `accounts/${Buffer.from('victim').toString('base64url')}/`;
const accountKeys = async () => (await storedKeys(rt)).filter((k) => k.startsWith(prefix));

describe('a device with K deletes everything; undelete brings it all back', () => {
  it('forget all + prune + DELETE /v1/vault?backups=true, then undelete --as-of before: every object back, restores byte-identical', async () => {
    const key = randomBytes(32);
    const src = tempDir();
    const a = join(src, 'a');
    mkdirSync(a);
    writeFileSync(join(a, 'one'), randomBytes(900_000));
    writeFileSync(join(a, 'two'), 'hello\n');
    const repo = await initRepository(newStore(), key, { home: tempDir('bkv-home-') });
    const first = (await backup(repo, { paths: [a] })).snapshot;
    const firstTree = describeTree(a);
    writeFileSync(join(a, 'three'), randomBytes(300_000));
    const second = (await backup(repo, { paths: [a] })).snapshot;
    const secondTree = describeTree(a);
    await repo.close();
    const before = await accountKeys();
    expect(before.length).toBeGreaterThanOrEqual(6); // config, 2 snapshots, index, packs

    await new Promise((r) => setTimeout(r, 5));
    const asOf = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    // the attack, with K: forget every snapshot, prune every pack and index, then delete the repository
    const attacker = await openRepository(newStore(), key, { home: tempDir('bkv-home-') });
    const forgotten: string[] = [];
    await forget(attacker, { policy: { tags: ['no-such-tag'] }, onDelete: (s) => forgotten.push(s.id) });
    expect(forgotten.sort()).toEqual([first.id, second.id].sort());
    const pruned = await prune(attacker);
    expect(pruned.deletedPacks).toBeGreaterThan(0);
    await attacker.close();
    const signature = await (attacker.store as HttpRepoStore).deleteAllSignature();
    expect((await call(rt, token, 'DELETE', '/v1/vault?backups=true', undefined, 'application/json', { headers: signature! })).status).toBeLessThan(300);
    expect(await accountKeys()).toEqual([]);
    expect((await call(rt, token, 'GET', '/v1/repo')).json).toMatchObject({ repositoryId: null });

    // undo: everything deleted after asOf
    const undoer = newStore();
    undoer.signWith(key);
    const restored = await undelete(undoer, asOf);
    const back = restored.map((n) => `${prefix}repo/${n.type}/${n.id}`);
    expect(back).toEqual(expect.arrayContaining(before));
    expect(await accountKeys()).toEqual(expect.arrayContaining(before));
    // the config's id is recorded again and the usage recounted from what is stored
    const status = (await call(rt, token, 'GET', '/v1/repo')).json!;
    const { stat } = await import('node:fs/promises');
    let stored = 0;
    for (const k of await accountKeys()) stored += (await stat(join(rt.s3.directory, rt.s3.bucket, k))).size;
    expect(status).toMatchObject({ repositoryId: back.find((k) => k.includes('/repo/config/'))!.split('/').at(-1) });
    // (plus reservations of upload URLs that may still be used: those stay counted, docs/protocol.md)
    expect(status.usedBytes as number).toBeGreaterThanOrEqual(stored);
    // and what the attack wrote after asOf and then deleted (prune's new index) is back too: deletions are undone
    expect(back.filter((k) => !before.includes(k)).every((k) => k.includes('/repo/index/'))).toBe(true);

    // a fresh device without a cache sees both snapshots and restores them byte-identical, once the index the
    // attack's prune wrote (it supersedes the restored ones) is out of the way
    const fresh = await openRepository(newStore(), key, { home: tempDir('bkv-home-') });
    const hidden = await reviveIndexes(fresh, restored);
    expect(hidden).toHaveLength(1);
    expect(back).toContain(`${prefix}repo/index/${hidden[0]}`);
    const snaps = await fresh.snapshots();
    expect(snaps.map((s) => s.id).sort()).toEqual([first.id, second.id].sort());
    for (const [s, tree] of [[first, firstTree], [second, secondTree]] as const) {
      const out = join(tempDir(), 'out');
      await restore(fresh, snaps.find((x) => x.id === s.id)!, out, { home: tempDir('bkv-home-') });
      const got = describeTree(join(out, 'a'));
      const strip = (t: typeof tree) => Object.fromEntries(Object.entries(t).map(([p, e]) => [p, { type: e.type, size: e.size, sha: e.sha }]));
      expect(strip(got)).toEqual(strip(tree));
    }
    await fresh.close();
  });

  it('undelete as of a time after the deletions brings nothing back; without an exclusive lock it is lock-lost', async () => {
    const t = await rt.token('later');
    const lock = await call(rt, t, 'POST', '/v1/repo/locks', { exclusive: false });
    const refused = await call(rt, t, 'POST', '/v1/repo/undelete', { lockId: lock.json!.lockId, since: new Date().toISOString() });
    expect(refused).toMatchObject({ status: 409, json: { type: 'urn:bkv:problem:lock-lost' } });
    const bad = await call(rt, t, 'POST', '/v1/repo/undelete', { lockId: lock.json!.lockId, since: 'yesterday' });
    expect(bad.status).toBe(400);
  });
});

describe('undelete one snapshot', () => {
  it('after forget all + prune, undelete --snapshot A brings back A and what it needs, not B: A restores byte-identical', async () => {
    const t = await rt.token('only-a');
    const store = () => {
      const s = new HttpRepoStore(new ApiClient({ server: rt.url, token: t }), { backoffMs: 10 });
      stores.push(s);
      return s;
    };
    const key = randomBytes(32);
    const src = tempDir();
    const [a, b] = [join(src, 'a'), join(src, 'b')];
    mkdirSync(a);
    mkdirSync(b);
    writeFileSync(join(a, 'one'), randomBytes(700_000));
    writeFileSync(join(b, 'other'), randomBytes(700_000));
    const repo = await initRepository(store(), key, { home: tempDir('bkv-home-') });
    const snapA = (await backup(repo, { paths: [a] })).snapshot;
    const snapB = (await backup(repo, { paths: [b] })).snapshot;
    const treeA = describeTree(a);
    await repo.close();
    const pre = `accounts/${Buffer.from('only-a').toString('base64url')}/repo/`;
    const packsOf = async () => (await storedKeys(rt)).filter((k) => k.startsWith(`${pre}data/`));
    const allPacks = await packsOf();
    await new Promise((r) => setTimeout(r, 5));
    const asOf = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    const attacker = await openRepository(store(), key, { home: tempDir('bkv-home-') });
    await forget(attacker, { policy: { tags: ['no-such-tag'] } });
    await prune(attacker);
    await attacker.close();
    expect(await packsOf()).toEqual([]);

    const owner = await openRepository(store(), key, { home: tempDir('bkv-home-') });
    const r = await undeleteSnapshot(owner, asOf, snapA.id);
    expect(r.restored).toContainEqual({ type: 'snapshots', id: snapA.id });
    expect(r.restored).not.toContainEqual({ type: 'snapshots', id: snapB.id });
    const back = await packsOf();
    expect(back.length).toBeGreaterThan(0);
    expect(back.length).toBeLessThan(allPacks.length); // B's own pack stays deleted
    const fresh = await openRepository(store(), key, { home: tempDir('bkv-home-') });
    const snaps = await fresh.snapshots();
    expect(snaps.map((s) => s.id)).toEqual([snapA.id]);
    const out = join(tempDir(), 'out');
    await restore(fresh, snaps[0]!, out, { home: tempDir('bkv-home-') });
    const strip = (t: typeof treeA) => Object.fromEntries(Object.entries(t).map(([p, e]) => [p, { type: e.type, size: e.size, sha: e.sha }]));
    expect(strip(describeTree(join(out, 'a')))).toEqual(strip(treeA));
    await owner.close();
    await fresh.close();
  });
});
