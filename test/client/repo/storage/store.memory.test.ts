// The RepoStore contract against MemoryRepoStore (client/repo/storage/memory-store.ts).
import { MemoryRepoStore } from '../../../../client/repo/storage/memory-store.js';
import { repoStoreSuite, SUITE_QUOTA } from './store.case.js';

repoStoreSuite('in memory', async () => {
  let now = Date.now();
  const store = new MemoryRepoStore({ quotaBytes: SUITE_QUOTA, now: () => now });
  return { store, advance: (ms) => (now += ms) };
});
