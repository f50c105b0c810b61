// A repository keeps the chunk sizes its config names (docs/repository.md "Config", "Chunking"): one made with
// other valid sizes (the 512 KiB–8 MiB of earlier versions) opens, and its new data is cut with its own sizes, so
// it dedups against what is stored; sizes this bkv cannot write with are refused (usage) before anything is written.

import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isClientError } from '../../../../client/errors.js';
import { backup } from '../../../../client/repo/commands/backup.js';
import { CHUNKER_PARAMS } from '../../../../client/repo/blobs/chunker.js';
import { deriveRepoKeys } from '../../../../client/repo/keys.js';
import { encodeJson, encryptObject, newId } from '../../../../client/repo/objects.js';
import { initRepository, openRepository } from '../../../../client/repo/repository.js';
import { TestMemoryStore } from '../../../helpers/memory-repo.js';
import { tempDir } from '../engine-helpers.js';

const MiB = 1024 * 1024;

async function storeWithConfig(key: Uint8Array, chunker: unknown): Promise<TestMemoryStore> {
  const store = new TestMemoryStore();
  const config = { version: 1, id: newId(), created: new Date().toISOString(), chunker };
  await store.createConfig(config.id, encryptObject(deriveRepoKeys(key), encodeJson(config)));
  return store;
}

/** The plaintext sizes of the data blobs the repository's index lists. */
function blobSizes(repo: Awaited<ReturnType<typeof openRepository>>): number[] {
  return [...repo.index.packs.values()].filter((p) => p.t === 'data').flatMap((p) => p.blobs.map((b) => b.u));
}

describe('chunker sizes in the config', () => {
  it('a repository made with 512 KiB–8 MiB chunks opens, and cuts new data with its own sizes', async () => {
    const key = randomBytes(32);
    const store = await storeWithConfig(key, { min: 512 * 1024, avg: MiB, max: 8 * MiB });
    const dir = tempDir();
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'big.bin'), createCipheriv('chacha20', randomBytes(32), Buffer.alloc(16)).update(Buffer.alloc(40 * MiB)));
    const repo = await openRepository(store, key, { workers: 1 });
    try {
      expect(repo.config.chunker).toEqual({ min: 512 * 1024, avg: MiB, max: 8 * MiB });
      await backup(repo, { paths: [join(dir, 'src')] });
      await repo.loadIndex();
      const sizes = blobSizes(repo).sort((a, b) => a - b);
      // every chunk but the file's last is at least the repository's 512 KiB (the default would allow 256 KiB)
      expect(sizes.slice(1).every((u) => u >= 512 * 1024)).toBe(true);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(40 * MiB);
    } finally {
      await repo.close();
    }
  });

  it('a new repository gets the default sizes', async () => {
    const repo = await initRepository(new TestMemoryStore(), randomBytes(32), { workers: 0 });
    expect(repo.config.chunker).toEqual({ min: CHUNKER_PARAMS.minSize, avg: CHUNKER_PARAMS.avgSize, max: CHUNKER_PARAMS.maxSize });
    await repo.close();
  });

  it.each([
    ['a max beyond the 8 MiB read window', { min: 512 * 1024, avg: MiB, max: 16 * MiB }],
    ['an average that is not a power of two', { min: 256 * 1024, avg: 600 * 1024, max: 4 * MiB }],
    ['a min under 64 KiB', { min: 1024, avg: 8192, max: 32768 }],
    ['no sizes', undefined],
    ['sizes that are not numbers', { min: '1', avg: '2', max: '3' }],
  ])('%s is refused as usage, and nothing is written', async (_what, chunker) => {
    const key = randomBytes(32);
    const store = await storeWithConfig(key, chunker);
    const before = [...store.objects.keys()].sort();
    const e = await openRepository(store, key, { workers: 0 }).then(() => undefined, (x: unknown) => x);
    expect(isClientError(e) && e.kind).toBe('usage');
    expect((e as Error).message).toBe('repository uses chunker parameters this bkv does not support: upgrade bkv');
    expect([...store.objects.keys()].sort()).toEqual(before);
  });
});
