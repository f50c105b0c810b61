// The RepoItemStore suite against the in-memory adapter: the same cases the DynamoDB adapter passes on dynalite.
import { MemoryRepoItemStore } from '../../functions/adapters/memory-repo-store.js';
import { repoItemStoreSuite } from './repo-store.case.js';

const store = new MemoryRepoItemStore();
repoItemStoreSuite('in memory', () => store);
