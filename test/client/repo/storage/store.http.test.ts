// The RepoStore contract against HttpRepoStore (client/repo/storage/http-store.ts) over the local runtime: the real
// handlers, dynalite and the file-backed object store, through presigned URLs. A fresh account per case; the
// runtime's clock is the one locks expire by. The store signs with a K of its own, as a device with K does.

import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { ApiClient } from '../../../../client/http.js';
import { HttpRepoStore } from '../../../../client/repo/storage/http-store.js';
import { startTestRuntime, type TestRuntime } from '../../../helpers/local.js';
import { repoStoreSuite, SUITE_QUOTA } from './store.case.js';

let rt: TestRuntime;
let offset = 0;
const stores: HttpRepoStore[] = [];
beforeAll(async () => {
  rt = await startTestRuntime({ repoQuotaBytes: SUITE_QUOTA, clock: { now: () => Date.now() + offset } });
});
afterAll(async () => {
  for (const s of stores) s.close();
  await rt.stop();
});

repoStoreSuite('HTTP (local runtime)', async () => {
  const token = await rt.token(`acct-${randomUUID()}`);
  const store = new HttpRepoStore(new ApiClient({ server: rt.url, token }), { backoffMs: 10 });
  stores.push(store);
  // a device with K: its changes are signed, its key registered (docs/protocol.md "Signed requests")
  store.signWith(randomBytes(32));
  await store.registerSigningKey();
  return { store, advance: (ms) => (offset += ms) };
});
