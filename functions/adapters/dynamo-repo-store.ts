// RepoItemStore on DynamoDB (a TableV2 with multi-Region strong consistency in production, dynalite locally).
// One item per account (pk = account, sk = "repo") beside the vault item; every change is one conditional
// UpdateItem: the config id is create-only, the usage moves by ADD within the quota (and into a reservation slot,
// `rn0`/`ru0` or `rn1`/`ru1`: bytes and counts-until), a release needs the delete lease (`dl`/`dlx`), a recount
// the quota version (`qv`) it read, the lock list is replaced under a version check. No transactions, no TTL
// (locks, slots and the lease expire by the timestamps inside them).

import { DeleteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BkvError } from '../../protocol/errors.js';
import { MAX_NONCES_PER_PERIOD, NONCE_PERIOD_MS } from '../../protocol/repo-signature.js';
import type { NonceUse, RepoDeleteLease, RepoItem, RepoItemStore, RepoLockEntry, RepoReservation, Reserve } from '../ports.js';
import { errorName, translateAwsError } from './aws-errors.js';

export const REPO_SK = 'repo';
/** Conditional writes a reservation tries (each after a read) before answering 503: only a race at a slot's turn needs two. */
const RESERVE_TRIES = 4;

import { conditionalUpdate, consistentGet } from './document-client.js';
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
    return (await conditionalUpdate(this.doc, { TableName: this.tableName, Key: this.key(account), ...input }, 'repository store')) !== false;
  }

  async get(account: string): Promise<RepoItem | undefined> {
    const item = await consistentGet(this.doc, this.tableName, this.key(account), 'repository store');
    if (!item) return undefined;
    return {
      account,
      ...(typeof item.repoId === 'string' ? { repositoryId: item.repoId } : {}),
      usedBytes: Math.max(0, Number(item.used ?? 0)),
      reservations: ([0, 1] as const).flatMap((slot): RepoReservation[] => item[`ru${slot}`] === undefined ? []
        : [{ slot, bytes: Number(item[`rn${slot}`] ?? 0), countsUntil: Number(item[`ru${slot}`]) }]),
      quotaVersion: Number(item.qv ?? 0),
      ...(typeof item.dl === 'string' ? { deleteLease: { leaseId: item.dl, expiresAt: Number(item.dlx ?? 0) } } : {}),
      locks: toLocks(item.repoLocks),
      version: Number(item.ver ?? 0),
      ...(typeof item.signKey === 'string' ? { signingKey: item.signKey } : {}),
    };
  }

  async setSigningKey(account: string, signingKey: string, now: number): Promise<string> {
    const set = await this.conditional(account, {
      UpdateExpression: 'SET signKey = :k, updatedAt = :now',
      ConditionExpression: 'attribute_not_exists(signKey) OR signKey = :k',
      ExpressionAttributeValues: { ':k': signingKey, ':now': now },
    });
    if (set) return signingKey;
    return (await this.get(account))?.signingKey ?? signingKey;
  }

  /**
   * Nonces live in three rotating string sets of the repo item (`ns0`..`ns2`, each with its period `nb0`..`nb2`),
   * one per period of NONCE_PERIOD_MS by expiry: a set is started again only for a later period, by when every
   * nonce of its old period has expired (a signature expires at most one period ahead), so no TTL is needed.
   */
  async useNonce(account: string, nonce: string, expiresAt: number, now: number): Promise<NonceUse> {
    const period = Math.floor(expiresAt / NONCE_PERIOD_MS);
    const slot = period % 3;
    const b = `nb${slot}`;
    const n = `ns${slot}`;
    for (let i = 0; i < RESERVE_TRIES; i++) {
      if (await this.conditional(account, {
        UpdateExpression: `ADD ${n} :set SET updatedAt = :now`,
        ConditionExpression: `${b} = :b AND NOT contains(${n}, :n) AND size(${n}) < :max`,
        ExpressionAttributeValues: { ':set': new Set([nonce]), ':now': now, ':b': period, ':n': nonce, ':max': MAX_NONCES_PER_PERIOD },
      })) return 'recorded';
      if (await this.conditional(account, {
        UpdateExpression: `SET ${b} = :b, ${n} = :set, updatedAt = :now`,
        ConditionExpression: `attribute_not_exists(${b}) OR ${b} < :b`,
        ExpressionAttributeValues: { ':set': new Set([nonce]), ':now': now, ':b': period },
      })) return 'recorded';
      const item = await consistentGet(this.doc, this.tableName, this.key(account), 'repository store');
      const held = Number(item?.[b]);
      if (held > period) return 'replayed'; // a later period took the set: this nonce's has long expired
      if (held === period) {
        const set = item?.[n] as Set<string> | undefined;
        if (set?.has(nonce) === true) return 'replayed';
        if ((set?.size ?? 0) >= MAX_NONCES_PER_PERIOD) return 'full';
      }
    }
    throw new BkvError('unavailable', 'the repository\'s nonces are busy, retry');
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

  /**
   * One ADD of the usage and the slot, with the quota in the condition. Which update applies depends on the slot
   * (it still counts long enough / it counts but not long enough / it no longer counts); the common first case is
   * tried blind, the others after a read.
   */
  async reserve(account: string, r: Reserve): Promise<boolean> {
    if (r.bytes > r.quotaBytes) return false;
    const n = `rn${r.slot}`;
    const u = `ru${r.slot}`;
    const values = { ':n': r.bytes, ':limit': r.quotaBytes - r.bytes, ':now': r.now, ':until': r.countsUntil, ':one': 1 };
    const quota = '(attribute_not_exists(used) OR used <= :limit)';
    const attempts = {
      keep: { UpdateExpression: `ADD used :n, ${n} :n, qv :one SET updatedAt = :now`, ConditionExpression: `${quota} AND ${u} >= :until` },
      extend: { UpdateExpression: `ADD used :n, ${n} :n, qv :one SET ${u} = :until, updatedAt = :now`, ConditionExpression: `${quota} AND ${u} > :now AND ${u} < :until` },
      restart: { UpdateExpression: `ADD used :n, qv :one SET ${n} = :n, ${u} = :until, updatedAt = :now`, ConditionExpression: `${quota} AND (attribute_not_exists(${u}) OR ${u} <= :now)` },
    };
    let next: keyof typeof attempts = 'keep';
    for (let i = 0; i < RESERVE_TRIES; i++) {
      if (await this.conditional(account, { ...attempts[next], ExpressionAttributeValues: values })) return true;
      const item = await this.get(account);
      if ((item?.usedBytes ?? 0) > r.quotaBytes - r.bytes) return false;
      const until = item?.reservations.find((x) => x.slot === r.slot)?.countsUntil;
      next = until === undefined || until <= r.now ? 'restart' : until < r.countsUntil ? 'extend' : 'keep';
    }
    throw new BkvError('unavailable', 'the repository\'s usage is busy, retry');
  }

  claimDeletes(account: string, lease: RepoDeleteLease, now: number): Promise<boolean> {
    return this.conditional(account, {
      UpdateExpression: 'SET dl = :id, dlx = :exp, updatedAt = :now',
      ConditionExpression: 'attribute_not_exists(dl) OR dlx <= :now',
      ExpressionAttributeValues: { ':id': lease.leaseId, ':exp': lease.expiresAt, ':now': now },
    });
  }

  async release(account: string, leaseId: string, bytes: number, now: number): Promise<boolean> {
    const values = { ':id': leaseId, ':n': bytes, ':now': now, ':one': 1 };
    if (await this.conditional(account, {
      UpdateExpression: 'SET used = used - :n, updatedAt = :now ADD qv :one REMOVE dl, dlx',
      ConditionExpression: 'dl = :id AND used >= :n',
      ExpressionAttributeValues: values,
    })) return true;
    return this.conditional(account, {
      UpdateExpression: 'SET used = :zero, updatedAt = :now ADD qv :one REMOVE dl, dlx',
      ConditionExpression: 'dl = :id AND (attribute_not_exists(used) OR used < :n)',
      ExpressionAttributeValues: { ...values, ':zero': 0 },
    });
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

  recount(account: string, seenQuotaVersion: number, usedBytes: number, now: number): Promise<boolean> {
    return this.conditional(account, {
      UpdateExpression: 'SET used = :used, updatedAt = :now ADD qv :one REMOVE dl, dlx',
      ConditionExpression: `(${seenQuotaVersion === 0 ? 'attribute_not_exists(qv) OR ' : ''}qv = :seen) AND (attribute_not_exists(dl) OR dlx <= :now)`,
      ExpressionAttributeValues: { ':used': usedBytes, ':seen': seenQuotaVersion, ':now': now, ':one': 1 },
    });
  }

  async delete(account: string, seenQuotaVersion: number, keepBytes: number, now: number): Promise<boolean> {
    const seen = `attribute_not_exists(pk) OR ${seenQuotaVersion === 0 ? 'attribute_not_exists(qv) OR ' : ''}qv = :seen`;
    if (keepBytes > 0) {
      return this.conditional(account, {
        UpdateExpression: 'SET used = :keep, updatedAt = :now ADD qv :one REMOVE repoId, repoLocks, ver, dl, dlx, signKey',
        ConditionExpression: `attribute_exists(pk) AND (${seen})`,
        ExpressionAttributeValues: { ':keep': keepBytes, ':seen': seenQuotaVersion, ':now': now, ':one': 1 },
      });
    }
    try {
      await this.doc.send(new DeleteCommand({
        TableName: this.tableName, Key: this.key(account), ConditionExpression: seen, ExpressionAttributeValues: { ':seen': seenQuotaVersion },
      }));
      return true;
    } catch (e) {
      if (errorName(e) === 'ConditionalCheckFailedException') return false;
      throw translateAwsError(e, 'repository store');
    }
  }
}
