// The RealmStore suite against the in-memory adapter: the same cases the DynamoDB adapter passes on dynalite.
import { MemoryRealmStore } from '../../functions/adapters/memory-realm-store.js';
import { realmStoreSuite } from './realm-store.case.js';

const store = new MemoryRealmStore();
realmStoreSuite('in memory', () => store);
