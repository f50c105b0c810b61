// The blob-writer session contract (blob-writer.case.ts) on the SDK's MemoryRepoStore (no URLs: packs sealed on a
// worker, stored through put).
import { MemoryRepoStore } from '../../../../client/repo/storage/memory-store.js';
import { blobWriterSuite } from './blob-writer.case.js';

blobWriterSuite('MemoryRepoStore', async () => new MemoryRepoStore());
