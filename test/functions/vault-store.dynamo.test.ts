// The VaultStore suite against the DynamoDB adapter on dynalite, so the condition expressions really run.
import { afterAll, beforeAll } from 'vitest';
import { DynamoVaultStore } from '../../functions/adapters/dynamo-vault-store.js';
import { documentClient } from '../../functions/adapters/document-client.js';
import { startDynamo, type LocalDynamo } from '../../local/dynamo.js';
import { vaultStoreSuite } from './vault-store.case.js';

let dynamo: LocalDynamo;
let store: DynamoVaultStore;
beforeAll(async () => {
  dynamo = await startDynamo(undefined, 'vault-store-test');
  store = new DynamoVaultStore(documentClient(dynamo.client), 'vault-store-test');
});
afterAll(async () => dynamo.close());

vaultStoreSuite('DynamoDB (dynalite)', () => store);
