// RealmStore on DynamoDB (the realm's own MRSC table in production, dynalite locally). One item per account
// (pk = account, sk = "realm"); every state change is one conditional UpdateItem, so the per-realm guess limit
// holds across concurrent calls and regions (docs/threat-model.md, "Realms"). No transactions, no TTL: a pending
// recovery expires by the timestamp in the conditions.

import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FinishRecovery, PendingRecovery, RealmItem, RealmRegistration, RealmStore } from '../ports.js';
import { translateAwsError } from './aws-errors.js';

export const REALM_SK = 'realm';
const PENDING = 'chal, chalExp';
const SECRETS = 'rec, ver';

import { bytes, conditionalUpdate, consistentGet, type Attrs } from './document-client.js';
import { countedFields } from './counted-item.js';


function toItem(a: Attrs): RealmItem {
  const rec = bytes(a.rec);
  const item: RealmItem = { account: String(a.pk), ...countedFields(a, rec !== undefined) };
  const ver = bytes(a.ver);
  if (ver) item.version = ver;
  if (rec) item.record = rec;
  const chal = bytes(a.chal);
  if (chal && a.chalExp !== undefined) item.pending = { challenge: chal, expiresAt: Number(a.chalExp) };
  return item;
}

export class DynamoRealmStore implements RealmStore {
  constructor(private readonly doc: DynamoDBDocumentClient, private readonly tableName: string) {}

  private key(account: string) {
    return { pk: account, sk: REALM_SK };
  }

  private update(input: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>, account: string): Promise<Attrs | false> {
    return conditionalUpdate(this.doc, { TableName: this.tableName, Key: this.key(account), ...input }, 'realm store');
  }

  async get(account: string): Promise<RealmItem | undefined> {
    const item = await consistentGet(this.doc, this.tableName, this.key(account), 'realm store');
    return item ? toItem(item) : undefined;
  }


  async register(account: string, r: RealmRegistration): Promise<number> {
    const out = await this.update({
      UpdateExpression:
        'SET gen = if_not_exists(gen, :zero) + :one, maxAttempts = :max, attempts = :zero, destroyed = :false, ' +
        `ver = :ver, rec = :rec, updatedAt = :now REMOVE ${PENDING}`,
      ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':max': r.maxAttempts, ':false': false, ':ver': r.version, ':rec': r.record, ':now': r.now },
      ReturnValues: 'UPDATED_NEW',
    }, account);
    if (out === false) throw translateAwsError(new Error('unconditional update refused'), 'realm store');
    return Number(out.gen);
  }

  async startRecovery(account: string, generation: number, p: PendingRecovery, now: number): Promise<number | undefined> {
    const out = await this.update({
      UpdateExpression: 'SET attempts = attempts + :one, chal = :c, chalExp = :exp, updatedAt = :now',
      ConditionExpression: 'gen = :gen AND destroyed = :false AND attribute_exists(rec) AND attempts < maxAttempts',
      ExpressionAttributeValues: { ':one': 1, ':c': p.challenge, ':exp': p.expiresAt, ':now': now, ':gen': generation, ':false': false },
      ReturnValues: 'UPDATED_NEW',
    }, account);
    return out === false ? undefined : Number(out.attempts);
  }

  async finishRecovery(account: string, f: FinishRecovery): Promise<boolean> {
    const values: Attrs = { ':gen': f.generation, ':c': f.challenge, ':now': f.now, ':attempts': f.attempts, ':false': false };
    let update: string;
    let condition = 'gen = :gen AND destroyed = :false AND chal = :c AND chalExp > :now AND attempts = :attempts';
    if (f.outcome === 'success') {
      update = `SET attempts = :zero, updatedAt = :now REMOVE ${PENDING}`;
      values[':zero'] = 0;
    } else if (f.destroy) {
      update = `SET destroyed = :true, updatedAt = :now REMOVE ${PENDING}, ${SECRETS}`;
      values[':true'] = true;
      condition += ' AND attempts >= maxAttempts';
    } else {
      update = `SET updatedAt = :now REMOVE ${PENDING}`;
    }
    return (await this.update({ UpdateExpression: update, ConditionExpression: condition, ExpressionAttributeValues: values }, account)) !== false;
  }

  async destroyIfSpent(account: string, generation: number, now: number): Promise<boolean> {
    const out = await this.update({
      UpdateExpression: `SET destroyed = :true, updatedAt = :now REMOVE ${PENDING}, ${SECRETS}`,
      ConditionExpression:
        'gen = :gen AND destroyed = :false AND attribute_exists(rec) AND attempts >= maxAttempts AND (attribute_not_exists(chal) OR chalExp <= :now)',
      ExpressionAttributeValues: { ':gen': generation, ':now': now, ':true': true, ':false': false },
    }, account);
    return out !== false;
  }

  async delete(account: string, now: number): Promise<void> {
    await this.update({
      UpdateExpression: `SET attempts = :zero, destroyed = :false, updatedAt = :now REMOVE ${SECRETS}, ${PENDING}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':zero': 0, ':false': false, ':now': now },
    }, account);
  }
}
