// How many pack buffers a backup holds at once (client/repo/commands/backup.ts `accept`): one filling, one full waiting
// for an upload slot, and one per slot (2), however many files are read at once. Each is a 13 MiB slab of the
// blob pool, so one more is 13 MiB more peak memory (docs/benchmarks.md). Slow uploads (a delay before each
// upload URL, while the pack holds its slab and its slot) make full packs wait.

import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../../client/http.js';
import { backup } from '../../../../client/repo/commands/backup.js';
import { HttpRepoStore } from '../../../../client/repo/storage/http-store.js';
import { PACK_TARGET } from '../../../../client/repo/packs/pack-writer.js';
import { initRepository } from '../../../../client/repo/repository.js';
import type { CallOptions, DirectRequest, ObjectName } from '../../../../client/repo/storage/store.js';
import { startTestRuntime, type TestRuntime } from '../../../helpers/local.js';
import { tempDir } from '../engine-helpers.js';

const MiB = 1024 * 1024;

class SlowUploads extends HttpRepoStore {
  override async uploadRequest(name: ObjectName, size: number, options?: CallOptions): Promise<DirectRequest> {
    await new Promise((r) => setTimeout(r, 60));
    return super.uploadRequest(name, size, options);
  }
}

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt.stop();
});

describe('pack buffers in flight', () => {
  it('a backup of several large files read at once holds at most three pack slabs', async () => {
    const store = new SlowUploads(new ApiClient({ server: rt.url, token: await rt.token(`packs-${randomUUID()}`) }), { backoffMs: 10 });
    const repo = await initRepository(store, randomBytes(32), { workers: 2 });
    try {
      const dir = join(tempDir(), 'src');
      mkdirSync(dir);
      const random = createCipheriv('chacha20', randomBytes(32), Buffer.alloc(16));
      for (let i = 0; i < 4; i++) writeFileSync(join(dir, `big-${i}`), random.update(Buffer.alloc(40 * MiB)));
      const { snapshot } = await backup(repo, { paths: [dir] });
      expect(snapshot.summary.newBytes).toBe(160 * MiB);
      const packSlabs = repo.pool.slabSizes.filter((n) => n > PACK_TARGET); // read windows are 8 MiB, batches 5
      expect(packSlabs.length).toBeGreaterThan(0);
      expect(packSlabs.length).toBeLessThanOrEqual(3);
    } finally {
      await repo.close();
    }
  });
});
