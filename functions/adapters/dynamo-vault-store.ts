// VaultStore on DynamoDB (a TableV2 with multi-Region strong consistency in production, dynalite locally).
// One item per account (pk = account, sk = "vault"); every state change is one conditional UpdateItem, so the
// guess limit holds across concurrent calls and regions (docs/threat-model.md). No transactions, no TTL.

import {
  DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { FinishLogin, PendingLogin, Registration, VaultItem, VaultStore } from '../ports.js';
import { errorName, translateAwsError } from './aws-errors.js';

const VAULT_SK = 'vault';
const CONFIG_KEY = { pk: '#config', sk: 'opaque-server-setup' } as const;
const PENDING_ATTRS = 'pendingId, pendingState, pendingExp';

type Attrs = Record<string, unknown>;

function bytes(v: unknown): Uint8Array | undefined {
  return v instanceof Uint8Array ? v : undefined;
}

function toItem(a: Attrs): VaultItem {
  const pendingState = bytes(a.pendingState);
  const item: VaultItem = {
    account: String(a.pk),
    generation: Number(a.gen),
    maxAttempts: Number(a.maxAttempts),
    attempts: Number(a.attempts),
    destroyed: a.destroyed === true,
    updatedAt: Number(a.updatedAt),
  };
  const record = bytes(a.rec);
  const sealedKey = bytes(a.sealedKey);
  if (record) item.record = record;
  if (sealedKey) item.sealedKey = sealedKey;
  if (typeof a.pendingId === 'string' && pendingState) {
    item.pending = { loginId: a.pendingId, state: pendingState, expiresAt: Number(a.pendingExp) };
  }
  return item;
}

export class DynamoVaultStore implements VaultStore {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  private key(account: string) {
    return { pk: account, sk: VAULT_SK };
  }

  /** Runs a conditional update; false when the condition did not hold. */
  private async conditional(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>): Promise<Attrs | false> {
    try {
      const out = await this.doc.send(new UpdateCommand({ TableName: this.tableName, ...input }));
      return out.Attributes ?? {};
    } catch (e) {
      if (errorName(e) === 'ConditionalCheckFailedException') return false;
      throw translateAwsError(e, 'vault store');
    }
  }

  async get(account: string): Promise<VaultItem | undefined> {
    try {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: this.key(account), ConsistentRead: true }));
      return out.Item ? toItem(out.Item) : undefined;
    } catch (e) {
      throw translateAwsError(e, 'vault store');
    }
  }

  async register(account: string, r: Registration): Promise<number> {
    const out = await this.conditional({
      Key: this.key(account),
      UpdateExpression:
        'SET gen = if_not_exists(gen, :zero) + :one, maxAttempts = :max, attempts = :zero, destroyed = :false, ' +
        `rec = :rec, sealedKey = :sk, updatedAt = :now REMOVE ${PENDING_ATTRS}, destroyedAt`,
      ExpressionAttributeValues: {
        ':zero': 0, ':one': 1, ':max': r.maxAttempts, ':false': false, ':rec': r.record, ':sk': r.sealedKey, ':now': r.now,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    if (out === false) throw translateAwsError(new Error('unconditional update refused'), 'vault store');
    return Number(out.gen);
  }

  async startLogin(account: string, generation: number, p: PendingLogin, now: number): Promise<number | undefined> {
    const out = await this.conditional({
      Key: this.key(account),
      UpdateExpression: 'SET attempts = attempts + :one, pendingId = :id, pendingState = :st, pendingExp = :exp, updatedAt = :now',
      ConditionExpression: 'gen = :gen AND destroyed = :false AND attempts < maxAttempts',
      ExpressionAttributeValues: {
        ':one': 1, ':id': p.loginId, ':st': p.state, ':exp': p.expiresAt, ':now': now, ':gen': generation, ':false': false,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    return out === false ? undefined : Number(out.attempts);
  }

  async finishLogin(account: string, f: FinishLogin): Promise<boolean> {
    let update: string;
    const values: Attrs = { ':gen': f.generation, ':id': f.loginId, ':now': f.now, ':attempts': f.attempts, ':false': false };
    if (f.outcome === 'success') {
      update = `SET attempts = :zero, updatedAt = :now REMOVE ${PENDING_ATTRS}`;
      values[':zero'] = 0;
    } else if (f.destroy) {
      update = `SET destroyed = :true, destroyedAt = :now, updatedAt = :now REMOVE ${PENDING_ATTRS}, rec, sealedKey`;
      values[':true'] = true;
    } else {
      update = `SET updatedAt = :now REMOVE ${PENDING_ATTRS}`;
    }
    const out = await this.conditional({
      Key: this.key(account),
      UpdateExpression: update,
      ConditionExpression: 'gen = :gen AND destroyed = :false AND pendingId = :id AND pendingExp > :now AND attempts = :attempts',
      ExpressionAttributeValues: values,
    });
    return out !== false;
  }

  async destroyIfSpent(account: string, generation: number, now: number): Promise<boolean> {
    const out = await this.conditional({
      Key: this.key(account),
      UpdateExpression: `SET destroyed = :true, destroyedAt = :now, updatedAt = :now REMOVE ${PENDING_ATTRS}, rec, sealedKey`,
      ConditionExpression:
        'gen = :gen AND destroyed = :false AND attempts >= maxAttempts AND (attribute_not_exists(pendingId) OR pendingExp <= :now)',
      ExpressionAttributeValues: { ':gen': generation, ':now': now, ':true': true, ':false': false },
    });
    return out !== false;
  }

  async delete(account: string): Promise<void> {
    try {
      await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: this.key(account) }));
    } catch (e) {
      throw translateAwsError(e, 'vault store');
    }
  }

  async getServerSetup(): Promise<Uint8Array | undefined> {
    try {
      const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: CONFIG_KEY, ConsistentRead: true }));
      return bytes(out.Item?.value);
    } catch (e) {
      throw translateAwsError(e, 'vault store');
    }
  }

  async putServerSetupIfAbsent(sealed: Uint8Array): Promise<Uint8Array> {
    try {
      await this.doc.send(new PutCommand({
        TableName: this.tableName,
        Item: { ...CONFIG_KEY, value: sealed },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return sealed;
    } catch (e) {
      if (errorName(e) !== 'ConditionalCheckFailedException') throw translateAwsError(e, 'vault store');
      const existing = await this.getServerSetup();
      if (!existing) throw translateAwsError(e, 'vault store');
      return existing;
    }
  }
}
