// RepoItemStore on DynamoDB (a TableV2 with multi-Region strong consistency in production, dynalite locally).
// One item per account (pk = account, sk = "repo") beside the vault item; every change is one conditional
// UpdateItem: the config id is create-only, the usage moves by ADD within the quota, the lock list is replaced
// under a version check. No transactions, no TTL (locks expire by the timestamps inside them).

import { DeleteCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RepoItem, RepoItemStore, RepoLockEntry } from '../ports.js';
import { errorName, translateAwsError } from './aws-errors.js';

export const REPO_SK = 'repo';

type Attrs = Record<string, unknown>;
interface StoredLock {
  x: boolean;
  exp: number;
  ttl: number;
  d?: string;
  /** createdAt */
  c?: number;
}

function toLocks(v: unknown): RepoLockEntry[] {
  if (typeof v !== 'object' || v === null) return [];
  return Object.entries(v as Record<string, StoredLock>).map(([lockId, l]) => ({
    lockId, exclusive: l.x === true, expiresAt: Number(l.exp), ttlSeconds: Number(l.ttl), ...(typeof l.d === 'string' ? { description: l.d } : {}),
    ...(l.c !== undefined && Number.isFinite(Number(l.c)) ? { createdAt: Number(l.c) } : {}),
  }));
}

function fromLocks(locks: readonly RepoLockEntry[]): Record<string, StoredLock> {
  return Object.fromEntries(locks.map((l) => [l.lockId, {
    x: l.exclusive, exp: l.expiresAt, ttl: l.ttlSeconds, ...(l.description !== undefined ? { d: l.description } : {}),
    ...(l.createdAt !== undefined ? { c: l.createdAt } : {}),
  }]));
}

export class DynamoRepoItemStore implements RepoItemStore {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  private key(account: string) {
    return { pk: account, sk: REPO_SK };
  }

  /** Runs a conditional update; false when the condition did not hold. */
  private async conditional(account: string, input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>): Promise<boolean> {
    try {
      await this.doc.send(new UpdateCommand({ TableName: this.tableName, Key: this.key(account), ...input }));
      return true;
    } catch (e) {
      if (errorName(e) === 'ConditionalCheckFailedException') return false;
      throw translateAwsError(e, 'repository store');
    }
  }

  async get(account: string): Promise<RepoItem | undefined> {
    let item: Attrs | undefined;
    try {
      item = (await this.doc.send(new GetCommand({ TableName: this.tableName, Key: this.key(account), ConsistentRead: true }))).Item;
    } catch (e) {
      throw translateAwsError(e, 'repository store');
    }
    if (!item) return undefined;
    return {
      account,
      ...(typeof item.repoId === 'string' ? { repositoryId: item.repoId } : {}),
      usedBytes: Math.max(0, Number(item.used ?? 0)),
      locks: toLocks(item.repoLocks),
      version: Number(item.ver ?? 0),
    };
  }

  async setRepositoryId(account: string, repositoryId: string, now: number): Promise<string> {
    const set = await this.conditional(account, {
      UpdateExpression: 'SET repoId = :id, updatedAt = :now',
      ConditionExpression: 'attribute_not_exists(repoId) OR repoId = :id',
      ExpressionAttributeValues: { ':id': repositoryId, ':now': now },
    });
    if (set) return repositoryId;
    return (await this.get(account))?.repositoryId ?? repositoryId;
  }

  reserve(account: string, bytes: number, quotaBytes: number, now: number): Promise<boolean> {
    if (bytes > quotaBytes) return Promise.resolve(false);
    return this.conditional(account, {
      UpdateExpression: 'ADD used :n SET updatedAt = :now',
      ConditionExpression: 'attribute_not_exists(used) OR used <= :limit',
      ExpressionAttributeValues: { ':n': bytes, ':limit': quotaBytes - bytes, ':now': now },
    });
  }

  async release(account: string, bytes: number, now: number): Promise<void> {
    const done = await this.conditional(account, {
      UpdateExpression: 'SET used = used - :n, updatedAt = :now',
      ConditionExpression: 'used >= :n',
      ExpressionAttributeValues: { ':n': bytes, ':now': now },
    });
    if (!done) {
      await this.conditional(account, {
        UpdateExpression: 'SET used = :zero, updatedAt = :now',
        ConditionExpression: 'used < :n',
        ExpressionAttributeValues: { ':n': bytes, ':zero': 0, ':now': now },
      });
    }
  }

  writeLocks(account: string, version: number, locks: readonly RepoLockEntry[], now: number): Promise<boolean> {
    return this.conditional(account, {
      UpdateExpression: 'SET repoLocks = :locks, ver = :next, updatedAt = :now',
      ConditionExpression: version === 0 ? 'attribute_not_exists(ver)' : 'ver = :ver',
      ExpressionAttributeValues: {
        ':locks': fromLocks(locks), ':next': version + 1, ':now': now, ...(version === 0 ? {} : { ':ver': version }),
      },
    });
  }

  recount(account: string, seen: number, counted: number, now: number): Promise<boolean> {
    return this.conditional(account, {
      UpdateExpression: 'SET used = :counted, updatedAt = :now',
      ConditionExpression: seen === 0 ? 'attribute_not_exists(used) OR used = :seen' : 'used = :seen',
      ExpressionAttributeValues: { ':counted': counted, ':seen': seen, ':now': now },
    });
  }

  async delete(account: string): Promise<void> {
    try {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(account) }));
    } catch (e) {
      throw translateAwsError(e, 'repository store');
    }
  }
}
