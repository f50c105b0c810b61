// Direct transfers (client/repo/storage/direct.ts, blob-pool.ts sealPut/getOpen): with HttpRepoStore the blob workers
// send and receive pack bodies themselves, so none of them passes through the store's put or get; a direct
// transfer that fails (here: a URL whose signature storage refuses) is done again through the store, and the
// snapshot is the same either way: every pack stored once, whole, and readable (check --read-data).

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../../client/http.js';
import { backup } from '../../../../client/repo/commands/backup.js';
import { check } from '../../../../client/repo/commands/check.js';
import { HttpRepoStore } from '../../../../client/repo/storage/http-store.js';
import { initRepository } from '../../../../client/repo/repository.js';
import { restore } from '../../../../client/repo/commands/restore.js';
import type { CallOptions, DirectRequest, ObjectName, Range } from '../../../../client/repo/storage/store.js';
import { startTestRuntime, type TestRuntime } from '../../../helpers/local.js';
import { describeTree, tempDir } from '../engine-helpers.js';

/** Counts what goes through put and get, and spoils the signature of every `spoil`-th direct URL. */
class CountingStore extends HttpRepoStore {
  dataPuts = 0;
  bigGets = 0;
  spoiled = 0;
  private requests = 0;
  spoil = 0;

  private maybeSpoil(r: DirectRequest): DirectRequest {
    if (this.spoil === 0 || ++this.requests % this.spoil !== 0) return r;
    this.spoiled++;
    const u = new URL(r.url);
    u.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    return { ...r, url: u.toString() };
  }

  override async uploadRequest(name: ObjectName, size: number, options?: CallOptions): Promise<DirectRequest> {
    return this.maybeSpoil(await super.uploadRequest(name, size, options));
  }

  override async downloadRequest(name: ObjectName, options?: CallOptions): Promise<DirectRequest> {
    return this.maybeSpoil(await super.downloadRequest(name, options));
  }

  override async put(name: ObjectName, body: Uint8Array, options?: CallOptions): Promise<void> {
    if (name.type === 'data' && body.length > 1024 * 1024) this.dataPuts++;
    return super.put(name, body, options);
  }

  override async get(name: ObjectName, range?: Range, options?: CallOptions): Promise<Uint8Array> {
    const body = await super.get(name, range, options);
    if (name.type === 'data' && body.length > 64 * 1024) this.bigGets++;
    return body;
  }
}

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt.stop();
});

function sourceTree(): string {
  const root = join(tempDir('bkv-direct-'), 'data');
  mkdirSync(join(root, 'small'), { recursive: true });
  writeFileSync(join(root, 'big-1.bin'), randomBytes(24 * 1024 * 1024 + 7));
  writeFileSync(join(root, 'big-2.bin'), randomBytes(20 * 1024 * 1024));
  for (let i = 0; i < 40; i++) writeFileSync(join(root, 'small', `f${i}`), randomBytes(1000 + i * 3000));
  return root;
}

async function roundTrip(spoil: number) {
  // every object an upload URL was asked for (each such request reserves its bytes of the quota)
  const reserved: string[] = [];
  const recording = (async (url: URL, init: RequestInit) => {
    if (init.method === 'POST' && url.pathname === '/v1/repo/uploads') {
      for (const o of (JSON.parse(String(init.body)) as { objects: { type: string; id: string }[] }).objects) reserved.push(`${o.type}/${o.id}`);
    }
    return fetch(url, init);
  }) as typeof fetch;
  const store = new CountingStore(new ApiClient({ server: rt.url, token: await rt.token(`direct-${randomUUID()}`), fetch: recording }), { backoffMs: 10 });
  store.spoil = spoil;
  const repo = await initRepository(store, randomBytes(32), { home: tempDir('bkv-home-'), workers: 2 });
  try {
    const src = sourceTree();
    const { snapshot } = await backup(repo, { paths: [src] });
    const target = join(tempDir('bkv-out-'), 'restored');
    await restore(repo, snapshot, target);
    const contents = (dir: string) => Object.fromEntries(Object.entries(describeTree(dir)).map(([path, e]) => [path, `${e.type} ${e.mode} ${e.size} ${e.sha}`]));
    expect(contents(join(target, 'data'))).toEqual(contents(src));
    const checked = await check(repo, { readData: true });
    const stored: string[] = [];
    for await (const o of store.list('data')) stored.push(o.id);
    return { store, checked, stored: stored.sort(), indexed: [...repo.index.packs.keys()].sort(), reserved };
  } finally {
    await repo.close();
    store.close();
  }
}

describe('direct transfers of pack bodies', () => {
  it('no data pack body passes through the store\'s put or get when every direct transfer succeeds', async () => {
    const { store, checked, stored, indexed } = await roundTrip(0);
    expect(store.spoiled).toBe(0);
    expect(store.dataPuts).toBe(0);
    expect(store.bigGets).toBe(0);
    expect(checked.errors).toEqual([]);
    expect(stored).toEqual(indexed);
    expect(stored.length).toBeGreaterThanOrEqual(3);
  });

  it('a direct transfer that storage refuses is done through the store instead, and the snapshot is the same', async () => {
    const { store, checked, stored, indexed } = await roundTrip(2);
    expect(store.spoiled).toBeGreaterThanOrEqual(2);
    expect(store.dataPuts).toBeGreaterThanOrEqual(1);
    expect(store.bigGets).toBeGreaterThanOrEqual(1);
    expect(checked.errors).toEqual([]);
    expect(stored).toEqual(indexed);
  });

  it('a direct upload that storage refuses reserves its bytes once: the store sends it to the URL it already has', async () => {
    const { store, stored, reserved } = await roundTrip(2);
    expect(store.dataPuts).toBeGreaterThanOrEqual(1);
    const data = reserved.filter((n) => n.startsWith('data/'));
    expect(data.sort()).toEqual(stored.map((id) => `data/${id}`));
  });
});
