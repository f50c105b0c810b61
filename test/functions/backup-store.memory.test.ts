// The BackupStore suite against the in-memory adapter: the same cases the DynamoDB adapter passes on dynalite.
import { MemoryBackupStore } from '../../functions/adapters/memory-backup-store.js';
import { backupStoreSuite } from './backup-store.case.js';

const store = new MemoryBackupStore();
backupStoreSuite('in memory', () => store);
