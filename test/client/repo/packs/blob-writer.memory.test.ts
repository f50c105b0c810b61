// The blob-writer session contract (blob-writer.case.ts) on the SDK's MemoryRepoStore (no URLs: packs sealed on a
// worker, stored through put).
import { randomBytes } from 'node:crypto';
import { afterEach } from 'vitest';
import { initRepository, openRepository, type Repository } from '../../../../client/repo/repository.js';
import { MemoryRepoStore } from '../../../../client/repo/storage/memory-store.js';
import { tempDir } from '../engine-helpers.js';
import { blobWriterSuite } from './blob-writer.case.js';

const open: Repository[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

blobWriterSuite('MemoryRepoStore', async () => {
  const store = new MemoryRepoStore();
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
