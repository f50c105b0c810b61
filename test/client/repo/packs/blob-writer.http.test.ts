// The blob-writer session contract (blob-writer.case.ts) on HttpRepoStore over the local runtime: data packs are
// sealed on a worker straight into their presigned upload (PackBuilder.sealAndStore), tree packs stored through put.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { ApiClient } from '../../../../client/http.js';
import { HttpRepoStore } from '../../../../client/repo/storage/http-store.js';
import { startTestRuntime, type TestRuntime } from '../../../helpers/local.js';
import { blobWriterSuite } from './blob-writer.case.js';

let rt: TestRuntime;
const stores: HttpRepoStore[] = [];
beforeAll(async () => {
  rt = await startTestRuntime({ repoQuotaBytes: 256 * 1024 * 1024 });
});
afterAll(async () => {
  for (const s of stores) s.close();
  await rt.stop();
});

blobWriterSuite('HttpRepoStore (local runtime)', async () => {
  const token = await rt.token(`acct-${randomUUID()}`);
  const store = new HttpRepoStore(new ApiClient({ server: rt.url, token }), { backoffMs: 10 });
  stores.push(store);
  return store;
});
