// The BackupStore suite against the DynamoDB adapter on dynalite, so the condition expressions really run; the
// backup items share the table with a vault item, which listing never returns.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DynamoBackupStore } from '../../functions/adapters/dynamo-backup-store.js';
import { DynamoVaultStore } from '../../functions/adapters/dynamo-vault-store.js';
import { documentClient } from '../../functions/adapters/document-client.js';
import { startDynamo, type LocalDynamo } from '../../local/dynamo.js';
import { backupStoreSuite } from './backup-store.case.js';

const TABLE = 'backup-store-test';
let dynamo: LocalDynamo;
let store: DynamoBackupStore;
beforeAll(async () => {
  dynamo = await startDynamo(undefined, TABLE);
  store = new DynamoBackupStore(documentClient(dynamo.client), TABLE);
});
afterAll(async () => dynamo.close());

backupStoreSuite('DynamoDB (dynalite)', () => store);

it('a vault item of the same account is not a backup', async () => {
  const vault = new DynamoVaultStore(documentClient(dynamo.client), TABLE);
  const credentialId = new Uint8Array(32);
  await vault.startRegistration('shared', { registrationId: 'r1', credentialId, expiresAt: 10 }, 1);
  await vault.register('shared', { registrationId: 'r1', credentialId, record: new Uint8Array(4), sealedKey: new Uint8Array(4), maxAttempts: 3, now: 1 });
  await store.createPending({ account: 'shared', backupId: '01jd0000000000000000000001', state: 'pending', size: 1, partSize: 1, partCount: 1, createdAt: 1, expiresAt: 2 });
  expect((await store.list('shared')).map((r) => r.backupId)).toEqual(['01jd0000000000000000000001']);
  expect((await vault.get('shared'))?.generation).toBe(1);
});
