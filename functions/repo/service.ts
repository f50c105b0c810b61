// The repository service (docs/protocol.md "Repository API"): presigned URLs for an account's immutable objects,
// the create-only config, listing, lock-guarded deletion and the locks themselves. Pure logic over the
// RepoItemStore, ObjectStore and Clock ports. Every state change is one conditional UpdateItem on the account's
// repo item: the config id (create-only), the usage (reserve within the quota, release), the lock list
// (version-checked read-modify-write, retried a few times on a race).

import { randomBytes } from 'node:crypto';
import { BkvError } from '../../protocol/errors.js';
import { MAX_LIST_LIMIT } from '../../protocol/repo-schemas.js';
import type { Clock, ObjectStore, RepoItem, RepoItemStore, RepoLockEntry } from '../ports.js';
import { accountPrefix, idOfKey, objectKey, repoPrefix, typePrefix, type RepoObjectName, type RepoObjectType } from './keys.js';
import { acquire, holdsExclusive, refresh, release, type LockWanted } from './locks.js';
import { quotaExceeded, sumSizes } from './quota.js';

export interface RepoConfig {
  quotaBytes: number;
  urlTtlSeconds: number;
}

export interface RepoServiceDeps {
  items: RepoItemStore;
  objects: ObjectStore;
  clock: Clock;
  config: RepoConfig;
  /** Lock id source (tests); 16 random bytes as hex otherwise. */
  newLockId?: () => string;
  /** Failures of work done after the answer is decided (the recount at an exclusive lock). */
  onBackgroundError?: (e: unknown) => void;
}

/** Version-checked lock writes tried this often before answering 503. */
const LOCK_WRITE_TRIES = 8;
/** HEADs in flight at once while deleting. */
const HEAD_CONCURRENCY = 32;
const DELETE_BATCH = 1000;

const iso = (ms: number) => new Date(ms).toISOString();

export interface LockAnswer {
  lockId: string;
  exclusive: boolean;
  expiresAt: string;
}

const lockAnswer = (l: RepoLockEntry): LockAnswer => ({ lockId: l.lockId, exclusive: l.exclusive, expiresAt: iso(l.expiresAt) });

function lockLost(): BkvError {
  return new BkvError('lock-lost', 'the lock is expired or was removed');
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  }));
  return out;
}

export class RepoService {
  private readonly newLockId: () => string;

  constructor(private readonly deps: RepoServiceDeps) {
    this.newLockId = deps.newLockId ?? (() => randomBytes(16).toString('hex'));
  }

  get config(): RepoConfig {
    return this.deps.config;
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private expiresAt(now: number): string {
    return iso(now + this.deps.config.urlTtlSeconds * 1000);
  }

  async status(account: string): Promise<{ repositoryId: string | null; usedBytes: number; quotaBytes: number }> {
    const item = await this.deps.items.get(account);
    return { repositoryId: item?.repositoryId ?? null, usedBytes: item?.usedBytes ?? 0, quotaBytes: this.deps.config.quotaBytes };
  }

  /** Create-only: the config id is recorded by one conditional write; the same id again is a retry. */
  async createConfig(account: string, repositoryId: string, size: number): Promise<{ url: string; headers: Record<string, string>; expiresAt: string }> {
    const now = this.now();
    const stored = await this.deps.items.setRepositoryId(account, repositoryId, now);
    if (stored !== repositoryId) {
      throw new BkvError('repository-exists', 'the account already has a repository', { details: { repositoryId: stored } });
    }
    const put = await this.deps.objects.presignPut(objectKey(account, { type: 'config', id: repositoryId }), size, this.deps.config.urlTtlSeconds);
    return { ...put, expiresAt: this.expiresAt(now) };
  }

  async uploads(account: string, objects: readonly (RepoObjectName & { size: number })[]) {
    const { quotaBytes, urlTtlSeconds } = this.deps.config;
    const bytes = sumSizes(objects);
    const now = this.now();
    if (bytes > quotaBytes || !(await this.deps.items.reserve(account, bytes, quotaBytes, now))) {
      throw quotaExceeded(quotaBytes, (await this.deps.items.get(account))?.usedBytes ?? 0);
    }
    const uploads = await Promise.all(objects.map(async (o) => ({
      type: o.type, id: o.id, ...(await this.deps.objects.presignPut(objectKey(account, o), o.size, urlTtlSeconds)),
    })));
    return { uploads, expiresAt: this.expiresAt(now) };
  }

  async downloads(account: string, objects: readonly RepoObjectName[]) {
    const now = this.now();
    const downloads = await Promise.all(objects.map(async (o) => ({
      type: o.type, id: o.id, url: await this.deps.objects.presignGet(objectKey(account, o), this.deps.config.urlTtlSeconds),
    })));
    return { downloads, expiresAt: this.expiresAt(now) };
  }

  async list(account: string, type: RepoObjectType, after: string | undefined, limit = MAX_LIST_LIMIT) {
    const prefix = typePrefix(account, type);
    const page = await this.deps.objects.list(prefix, { maxKeys: limit, ...(after !== undefined ? { startAfter: prefix + after } : {}) });
    const objects: { type: RepoObjectType; id: string; size: number }[] = [];
    for (const o of page.objects) {
      const id = idOfKey(prefix, o.key);
      if (id !== undefined) objects.push({ type, id, size: o.size });
    }
    const last = page.objects.at(-1);
    const next = page.truncated && last ? idOfKey(prefix, last.key) : undefined;
    return { objects, ...(next !== undefined ? { next } : {}) };
  }

  /** Deletes what exists of `objects`, only under a live exclusive lock of this account; usage drops by the real sizes. */
  async delete(account: string, lockId: string, objects: readonly RepoObjectName[]) {
    const item = await this.deps.items.get(account);
    if (!item || !holdsExclusive(item.locks, lockId, this.now())) throw lockLost();
    const sizes = await mapLimit(objects, HEAD_CONCURRENCY, (o) => this.deps.objects.head(objectKey(account, o)));
    const deleted: RepoObjectName[] = [];
    const missing: RepoObjectName[] = [];
    let bytes = 0;
    objects.forEach((o, i) => {
      const size = sizes[i];
      if (size === undefined) missing.push({ type: o.type, id: o.id });
      else {
        deleted.push({ type: o.type, id: o.id });
        bytes += size;
      }
    });
    if (deleted.length > 0) await this.deps.objects.deleteObjects(deleted.map((o) => objectKey(account, o)));
    if (bytes > 0) await this.deps.items.release(account, bytes, this.now());
    return { deleted, missing };
  }

  /** Reads the item and writes `change(locks)` back with a version check, retrying when another write raced it. */
  private async updateLocks<T>(account: string, change: (item: RepoItem | undefined, now: number) => { locks: RepoLockEntry[]; result: T } | { result: T }): Promise<T> {
    for (let i = 0; i < LOCK_WRITE_TRIES; i++) {
      const item = await this.deps.items.get(account);
      const now = this.now();
      const decided = change(item, now);
      if (!('locks' in decided)) return decided.result;
      if (await this.deps.items.writeLocks(account, item?.version ?? 0, decided.locks, now)) return decided.result;
    }
    throw new BkvError('unavailable', 'the repository\'s locks are busy, retry');
  }

  async lock(account: string, request: { exclusive: boolean; ttlSeconds: number; description?: string }): Promise<LockAnswer> {
    const wanted: LockWanted = { lockId: this.newLockId(), ...request };
    const lock = await this.updateLocks(account, (item, now) => {
      const got = acquire(item?.locks ?? [], wanted, now);
      if (got.ok) return { locks: got.locks, result: got.lock };
      if (got.reason === 'too-many') throw new BkvError('conflict', 'the repository has too many locks');
      const h = got.holder;
      const by = h.description !== undefined ? ` by ${h.description}` : '';
      const what = h.exclusive ? `locked exclusively${by}` : `in use${by}`;
      throw new BkvError('repository-locked', `the repository is ${what} until ${iso(h.expiresAt)} unless renewed: retry then`, {
        details: { exclusive: h.exclusive, expiresAt: iso(h.expiresAt), ...(h.description !== undefined ? { description: h.description } : {}) },
      });
    });
    if (lock.exclusive) await this.recount(account).catch((e: unknown) => this.deps.onBackgroundError?.(e));
    return lockAnswer(lock);
  }

  async refresh(account: string, lockId: string): Promise<LockAnswer> {
    return lockAnswer(await this.updateLocks(account, (item, now) => {
      const got = refresh(item?.locks ?? [], lockId, now);
      if (!got) throw lockLost();
      return { locks: got.locks, result: got.lock };
    }));
  }

  async unlock(account: string, lockId: string): Promise<void> {
    await this.updateLocks(account, (item, now) => {
      const locks = release(item?.locks ?? [], lockId, now);
      return locks ? { locks, result: undefined } : { result: undefined };
    });
  }

  /** Sets the usage to the sum of the stored objects' sizes, unless a reservation or release raced the listing. */
  async recount(account: string): Promise<void> {
    const seen = (await this.deps.items.get(account))?.usedBytes ?? 0;
    let counted = 0;
    await this.eachObject(repoPrefix(account), async (page) => {
      counted += sumSizes(page);
    });
    if (counted !== seen) await this.deps.items.recount(account, seen, counted, this.now());
  }

  private async eachObject(prefix: string, visit: (page: { key: string; size: number }[]) => Promise<void>): Promise<void> {
    let startAfter: string | undefined;
    for (;;) {
      const page = await this.deps.objects.list(prefix, { maxKeys: 1000, ...(startAfter !== undefined ? { startAfter } : {}) });
      if (page.objects.length > 0) await visit(page.objects);
      const last = page.objects.at(-1);
      if (!page.truncated || !last) return;
      startAfter = last.key;
    }
  }

  /** `DELETE /v1/vault?backups=true`: every object under the account's prefix, then the repo item. */
  async deleteAll(account: string): Promise<void> {
    const prefix = accountPrefix(account);
    for (let round = 0; round < 3; round++) {
      const keys: string[] = [];
      await this.eachObject(prefix, async (page) => {
        keys.push(...page.map((o) => o.key));
      });
      for (let i = 0; i < keys.length; i += DELETE_BATCH) await this.deps.objects.deleteObjects(keys.slice(i, i + DELETE_BATCH));
      await this.deps.items.delete(account);
      if (keys.length === 0) return;
    }
    const left = await this.deps.objects.list(prefix, { maxKeys: 1 });
    if (left.objects.length > 0) throw new BkvError('conflict', 'the repository changed while deleting, retry');
  }
}
