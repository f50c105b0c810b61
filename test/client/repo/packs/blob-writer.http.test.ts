// The blob-writer session contract (blob-writer.case.ts) on HttpRepoStore over the local runtime: data packs are
// sealed on a worker straight into their presigned upload (PackBuilder.sealAndStore), tree packs stored through put.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ApiClient } from '../../../../client/http.js';
import { initRepository, openRepository, type Repository } from '../../../../client/repo/repository.js';
import { HttpRepoStore } from '../../../../client/repo/storage/http-store.js';
import { startTestRuntime, type TestRuntime } from '../../../helpers/local.js';
import { tempDir } from '../engine-helpers.js';
import { blobWriterSuite } from './blob-writer.case.js';

let rt: TestRuntime;
const stores: HttpRepoStore[] = [];
const open: Repository[] = [];
beforeAll(async () => {
  rt = await startTestRuntime({ repoQuotaBytes: 256 * 1024 * 1024 });
});
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});
afterAll(async () => {
  for (const s of stores) s.close();
  await rt.stop();
});

blobWriterSuite('HttpRepoStore (local runtime)', async () => {
  const token = await rt.token(`acct-${randomUUID()}`);
  const store = new HttpRepoStore(new ApiClient({ server: rt.url, token }), { backoffMs: 10 });
  stores.push(store);
  const key = randomBytes(32);
  const repo = await initRepository(store, key, { home: tempDir('bkv-home-'), workers: 1 });
  open.push(repo);
  return {
    repo,
    reopen: async () => {
      const r = await openRepository(store, key, { home: tempDir('bkv-home-'), workers: 1 });
      open.push(r);
      await r.loadIndex();
      return r;
    },
  };
});
