// In-process DynamoDB for the local runtime and tests: dynalite (real condition-expression semantics; no
// transactions, no TTL, like the MRSC production table), persisted with LevelDB under the data dir.

import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException } from '@aws-sdk/client-dynamodb';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

export const LOCAL_TABLE = 'bkv-vault';

/** Fake credentials: dynalite and s3rver do not check them, the SDK requires some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export interface LocalDynamo {
  client: DynamoDBClient;
  endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite (in memory when `path` is undefined) and creates the vault table if it is missing. */
export async function startDynamo(path: string | undefined, tableName = LOCAL_TABLE): Promise<LocalDynamo> {
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'local', credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch {
    try {
      await client.send(new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      }));
    } catch (e) {
      if (!(e instanceof ResourceInUseException)) throw e;
    }
    // dynalite answers ResourceNotFound until the new table turns ACTIVE (a timer, later still on LevelDB).
    for (let i = 0; ; i++) {
      const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (out.Table?.TableStatus === 'ACTIVE') break;
      if (i >= 500) throw new Error(`table ${tableName} did not become active`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  return {
    client,
    endpoint,
    close: () => new Promise<void>((resolve) => {
      client.destroy();
      server.close(() => resolve());
    }),
  };
}
