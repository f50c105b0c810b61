// VaultStore on DynamoDB (a TableV2 with multi-Region strong consistency in production, dynalite locally).
// One item per account (pk = account, sk = "vault"); every state change is one conditional UpdateItem, so the
// guess limit holds across concurrent calls and regions (docs/threat-model.md). No transactions, no TTL.
// The item outlives DELETE (emptied, generation kept), so a generation is never reused for an account.

import {
  GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import {
  CONFIG_PARTITION, SERVER_SETUP_SK, type FinishLogin, type PendingLogin, type PendingRegistration, type Registration, type VaultItem,
  type VaultStore,
} from '../ports.js';
import { errorName, translateAwsError } from './aws-errors.js';

const VAULT_SK = 'vault';
const CONFIG_KEY = { pk: CONFIG_PARTITION, sk: SERVER_SETUP_SK } as const;
const PENDING_ATTRS = 'pendingId, pendingState, pendingExp';
const REGISTRATION_ATTRS = 'regId, regCred, regUntil';
/** What a live record holds; removed when it is destroyed or deleted. */
const SECRET_ATTRS = 'rec, sealedKey, cred';

import { bytes, conditionalUpdate, consistentGet, type Attrs } from './document-client.js';
import { countedFields } from './counted-item.js';

function toItem(a: Attrs): VaultItem {
  const record = bytes(a.rec);
  const item: VaultItem = { account: String(a.pk), ...countedFields(a, record !== undefined) };
  const sealedKey = bytes(a.sealedKey);
  const credentialId = bytes(a.cred);
  if (record) item.record = record;
  if (sealedKey) item.sealedKey = sealedKey;
  if (credentialId) item.credentialId = credentialId;
  const pendingState = bytes(a.pendingState);
  if (typeof a.pendingId === 'string' && pendingState) {
    item.pending = { loginId: a.pendingId, state: pendingState, expiresAt: Number(a.pendingExp) };
  }
  const regCred = bytes(a.regCred);
  if (typeof a.regId === 'string' && regCred) {
    item.registration = { registrationId: a.regId, credentialId: regCred, expiresAt: Number(a.regUntil) };
  }
  return item;
}

export class DynamoVaultStore implements VaultStore {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  private key(account: string) {
    return { pk: account, sk: VAULT_SK };
  }

  /** Runs a conditional update; false when the condition did not hold. */
  private conditional(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName'>): Promise<Attrs | false> {
    return conditionalUpdate(this.doc, { TableName: this.tableName, ...input }, 'vault store');
  }

  async get(account: string): Promise<VaultItem | undefined> {
    const item = await consistentGet(this.doc, this.tableName, this.key(account), 'vault store');
    return item ? toItem(item) : undefined;
  }


  async startRegistration(account: string, r: PendingRegistration, now: number): Promise<void> {
    const out = await this.conditional({
      Key: this.key(account),
      UpdateExpression: 'SET regId = :rid, regCred = :cred, regUntil = :exp, updatedAt = :now',
      ExpressionAttributeValues: { ':rid': r.registrationId, ':cred': r.credentialId, ':exp': r.expiresAt, ':now': now },
    });
    if (out === false) throw translateAwsError(new Error('unconditional update refused'), 'vault store');
  }

  async register(account: string, r: Registration): Promise<number | undefined> {
    const out = await this.conditional({
      Key: this.key(account),
      UpdateExpression:
        'SET gen = if_not_exists(gen, :zero) + :one, maxAttempts = :max, attempts = :zero, destroyed = :false, ' +
        `rec = :rec, sealedKey = :sk, cred = :cred, updatedAt = :now REMOVE ${PENDING_ATTRS}, ${REGISTRATION_ATTRS}, destroyedAt`,
      ConditionExpression: 'regId = :rid AND regCred = :cred AND regUntil > :now',
      ExpressionAttributeValues: {
        ':zero': 0, ':one': 1, ':max': r.maxAttempts, ':false': false, ':rec': r.record, ':sk': r.sealedKey,
        ':cred': r.credentialId, ':rid': r.registrationId, ':now': r.now,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    return out === false ? undefined : Number(out.gen);
  }

  async startLogin(account: string, generation: number, p: PendingLogin, now: number): Promise<number | undefined> {
    const out = await this.conditional({
      Key: this.key(account),
      UpdateExpression: 'SET attempts = attempts + :one, pendingId = :id, pendingState = :st, pendingExp = :exp, updatedAt = :now',
      ConditionExpression: 'gen = :gen AND destroyed = :false AND attribute_exists(rec) AND attempts < maxAttempts',
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
      update = `SET destroyed = :true, destroyedAt = :now, updatedAt = :now REMOVE ${PENDING_ATTRS}, ${SECRET_ATTRS}`;
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
      UpdateExpression: `SET destroyed = :true, destroyedAt = :now, updatedAt = :now REMOVE ${PENDING_ATTRS}, ${SECRET_ATTRS}`,
      ConditionExpression:
        'gen = :gen AND destroyed = :false AND attribute_exists(rec) AND attempts >= maxAttempts ' +
        'AND (attribute_not_exists(pendingId) OR pendingExp <= :now)',
      ExpressionAttributeValues: { ':gen': generation, ':now': now, ':true': true, ':false': false },
    });
    return out !== false;
  }

  async delete(account: string, now: number): Promise<void> {
    await this.conditional({
      Key: this.key(account),
      UpdateExpression:
        `SET attempts = :zero, destroyed = :false, updatedAt = :now REMOVE ${SECRET_ATTRS}, ${PENDING_ATTRS}, ${REGISTRATION_ATTRS}, destroyedAt`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':zero': 0, ':false': false, ':now': now },
    });
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
