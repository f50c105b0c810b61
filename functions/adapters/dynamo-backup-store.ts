// BackupStore on DynamoDB: the vault table (pk = account, sk = "backup#<backupId>"), one item per backup, every
// state change one conditional write (no transactions, no TTL: the production table is an MRSC global table).
// Listing is a strongly consistent Query on pk with begins_with(sk, "backup#"), newest backupId first.

import {
  DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { BackupRecord, BackupState, BackupStore } from '../ports.js';
import { errorName, translateAwsError } from './aws-errors.js';

const SK_PREFIX = 'backup#';
const STATES: readonly BackupState[] = ['pending', 'committed', 'deleting'];

type Attrs = Record<string, unknown>;

function toRecord(a: Attrs): BackupRecord {
  const state = STATES.find((s) => s === a.state);
  if (!state || typeof a.pk !== 'string' || typeof a.sk !== 'string') throw new Error('malformed backup item');
  const record: BackupRecord = {
    account: a.pk,
    backupId: a.sk.slice(SK_PREFIX.length),
    state,
    size: Number(a.size),
    partSize: Number(a.partSize),
    partCount: Number(a.partCount),
    createdAt: Number(a.createdAt),
    expiresAt: Number(a.expiresAt),
  };
  if (typeof a.uploadId === 'string') record.uploadId = a.uploadId;
  if (a.committedAt !== undefined) record.committedAt = Number(a.committedAt);
  return record;
}

export class DynamoBackupStore implements BackupStore {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  private key(account: string, backupId: string) {
    return { pk: account, sk: SK_PREFIX + backupId };
  }

  private async send<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw translateAwsError(e, 'backup store');
    }
  }

  /** Runs a conditional write; false when the condition did not hold. */
  private async conditional(run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (e) {
      if (errorName(e) === 'ConditionalCheckFailedException') return false;
      throw translateAwsError(e, 'backup store');
    }
  }

  async list(account: string): Promise<BackupRecord[]> {
    const records: BackupRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.send(() => this.doc.send(new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': account, ':prefix': SK_PREFIX },
        ConsistentRead: true,
        ScanIndexForward: false,
        ...(start ? { ExclusiveStartKey: start } : {}),
      })));
      for (const item of out.Items ?? []) records.push(toRecord(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return records;
  }

  async get(account: string, backupId: string): Promise<BackupRecord | undefined> {
    const out = await this.send(() => this.doc.send(new GetCommand({
      TableName: this.tableName, Key: this.key(account, backupId), ConsistentRead: true,
    })));
    return out.Item ? toRecord(out.Item) : undefined;
  }

  createPending(r: BackupRecord): Promise<boolean> {
    return this.conditional(() => this.doc.send(new PutCommand({
      TableName: this.tableName,
      Item: {
        ...this.key(r.account, r.backupId),
        state: 'pending',
        size: r.size,
        partSize: r.partSize,
        partCount: r.partCount,
        uploadId: r.uploadId,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    })));
  }

  commit(account: string, backupId: string, committedAt: number): Promise<boolean> {
    return this.conditional(() => this.doc.send(new UpdateCommand({
      TableName: this.tableName,
      Key: this.key(account, backupId),
      UpdateExpression: 'SET #state = :committed, committedAt = :now',
      ConditionExpression: '#state = :pending',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':committed': 'committed', ':pending': 'pending', ':now': committedAt },
    })));
  }

  markDeleting(account: string, backupId: string, from: 'pending' | 'committed'): Promise<boolean> {
    return this.conditional(() => this.doc.send(new UpdateCommand({
      TableName: this.tableName,
      Key: this.key(account, backupId),
      UpdateExpression: 'SET #state = :deleting',
      ConditionExpression: '#state = :from',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':deleting': 'deleting', ':from': from },
    })));
  }

  async remove(account: string, backupId: string): Promise<void> {
    await this.conditional(() => this.doc.send(new DeleteCommand({
      TableName: this.tableName,
      Key: this.key(account, backupId),
      ConditionExpression: 'attribute_not_exists(pk) OR #state = :deleting',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':deleting': 'deleting' },
    })));
  }

  async accountsWithUnfinished(): Promise<string[]> {
    const accounts = new Set<string>();
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.send(() => this.doc.send(new ScanCommand({
        TableName: this.tableName,
        FilterExpression: 'begins_with(sk, :prefix) AND #state <> :committed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':prefix': SK_PREFIX, ':committed': 'committed' },
        ProjectionExpression: 'pk',
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      })));
      for (const item of out.Items ?? []) if (typeof item.pk === 'string') accounts.add(item.pk);
      start = out.LastEvaluatedKey;
    } while (start);
    return [...accounts];
  }
}
