// The VaultStore suite against the in-memory adapter: the same cases the DynamoDB adapter passes on dynalite.
import { MemoryVaultStore } from '../../functions/adapters/memory-vault-store.js';
import { vaultStoreSuite } from './vault-store.case.js';

const store = new MemoryVaultStore();
vaultStoreSuite('in memory', () => store);
