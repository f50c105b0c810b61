// The RepoItemStore suite against the DynamoDB adapter on dynalite, so the condition expressions really run.
import { afterAll, beforeAll } from 'vitest';
import { DynamoRepoItemStore } from '../../functions/adapters/dynamo-repo-store.js';
import { documentClient } from '../../functions/adapters/document-client.js';
import { startDynamo, type LocalDynamo } from '../../local/dynamo.js';
import { repoItemStoreSuite } from './repo-store.case.js';

let dynamo: LocalDynamo;
let store: DynamoRepoItemStore;
beforeAll(async () => {
  dynamo = await startDynamo(undefined, 'repo-store-test');
  store = new DynamoRepoItemStore(documentClient(dynamo.client), 'repo-store-test');
});
afterAll(async () => dynamo.close());

repoItemStoreSuite('DynamoDB (dynalite)', () => store);
