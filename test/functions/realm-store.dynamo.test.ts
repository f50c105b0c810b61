// The RealmStore suite against the DynamoDB adapter on dynalite, so the condition expressions really run.
import { afterAll, beforeAll } from 'vitest';
import { DynamoRealmStore } from '../../functions/adapters/dynamo-realm-store.js';
import { documentClient } from '../../functions/adapters/document-client.js';
import { startDynamo, type LocalDynamo } from '../../local/dynamo.js';
import { realmStoreSuite } from './realm-store.case.js';

let dynamo: LocalDynamo;
let store: DynamoRealmStore;
beforeAll(async () => {
  dynamo = await startDynamo(undefined, 'realm-store-test');
  store = new DynamoRealmStore(documentClient(dynamo.client), 'realm-store-test');
});
afterAll(async () => dynamo.close());

realmStoreSuite('DynamoDB (dynalite)', () => store);
