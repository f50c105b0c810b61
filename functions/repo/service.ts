// The repository service (docs/protocol.md "Repository API"): presigned URLs for an account's immutable objects,
// the create-only config, listing, lock-guarded deletion and the locks themselves. Pure logic over the
// RepoItemStore, ObjectStore and Clock ports. Every state change is one conditional UpdateItem on the account's
// repo item: the config id (create-only), the usage (reserve within the quota, release under the delete lease,
// recount: the rules in quota.ts), the lock list (version-checked read-modify-write, retried a few times on a race).

import { randomBytes } from 'node:crypto';
import { BkvError } from '../../protocol/errors.js';
import { MAX_LIST_LIMIT, REPO_OBJECT_TYPES, UndeleteMarker } from '../../protocol/repo-schemas.js';
import type { Clock, ObjectStore, RepoItem, RepoItemStore, RepoLockEntry } from '../ports.js';
import { accountPrefix, idOfKey, objectKey, repoPrefix, typePrefix, type RepoObjectName, type RepoObjectType } from './keys.js';
import { acquire, holdsExclusive, liveLocks, refresh, release, type LockWanted } from './locks.js';
import { verifySigned, type Registering, type SignedRequest } from './signatures.js';
import { leaseLive, liveReserved, quotaExceeded, releasable, reservationSlot, sumSizes } from './quota.js';

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
  /** Waits between tries for the delete lease (tests); setTimeout otherwise. */
  sleep?: (ms: number) => Promise<void>;
}

/** Version-checked lock writes tried this often before answering 503. */
const LOCK_WRITE_TRIES = 8;
/** HEADs in flight at once while deleting. */
const HEAD_CONCURRENCY = 32;
const DELETE_BATCH = 1000;
/**
 * How long a delete holds the lease: well past a function's timeout (10 s, lib/bundling.ts), so a live delete never
 * loses it; a crashed one blocks the account's deletes at most this long.
 */
const DELETE_LEASE_MS = 60_000;
/** Tries for the lease while another delete holds it (waits 25 ms doubling to 400 ms: ~3 s in all), then 503. */
const DELETE_LEASE_TRIES = 10;
/** Tries of a conditional write of the usage (recount, delete-all) that lost a race, before giving up. */
const USAGE_WRITE_TRIES = 4;

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
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: RepoServiceDeps) {
    this.newLockId = deps.newLockId ?? (() => randomBytes(16).toString('hex'));
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
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

  async status(account: string) {
    const item = await this.deps.items.get(account);
    return {
      repositoryId: item?.repositoryId ?? null, usedBytes: item?.usedBytes ?? 0, quotaBytes: this.deps.config.quotaBytes,
      signingKey: item?.signingKey ?? null,
      locks: liveLocks(item?.locks ?? [], this.now()).map((l) => ({ ...lockAnswer(l), ...(l.description !== undefined ? { description: l.description } : {}) })),
    };
  }

  /**
   * Checks a mutating request's signature (functions/repo/signatures.ts) before anything else is done; with
   * `registering`, against the key the request registers.
   */
  verify(account: string, request: SignedRequest, registering?: Registering): Promise<void> {
    return verifySigned(this.deps.items, this.deps.clock, account, request, registering);
  }

  /** Create-only: the first signing key recorded stays; the same one again is a retry. */
  async registerKey(account: string, signingKey: string): Promise<{ signingKey: string }> {
    const stored = await this.deps.items.setSigningKey(account, signingKey, this.now());
    if (stored !== signingKey) throw new BkvError('signing-key-mismatch', 'another signing key is registered for this repository');
    return { signingKey };
  }

  /**
   * Create-only: the signing key, then the config id, each recorded by one conditional write (the key first, so
   * no other key can slip in beside a new config id); the same ones again are a retry.
   */
  async createConfig(account: string, repositoryId: string, size: number, signingKey: string): Promise<{ url: string; headers: Record<string, string>; expiresAt: string }> {
    await this.registerKey(account, signingKey);
    const now = this.now();
    const stored = await this.deps.items.setRepositoryId(account, repositoryId, now);
    if (stored !== repositoryId) {
      throw new BkvError('repository-exists', 'the account already has a repository', { details: { repositoryId: stored } });
    }
    const put = await this.deps.objects.presignPut(objectKey(account, { type: 'config', id: repositoryId }), size, this.deps.config.urlTtlSeconds);
    return { ...put, expiresAt: this.expiresAt(now) };
  }

  /**
   * Presigns first, then reserves: the reservation's slot is chosen at a time no earlier than the URLs were signed,
   * so it counts at least as long as they work (quota.ts). URLs of a refused reservation are never handed out.
   */
  async uploads(account: string, objects: readonly (RepoObjectName & { size: number })[]) {
    const { quotaBytes, urlTtlSeconds } = this.deps.config;
    const bytes = sumSizes(objects);
    if (bytes > quotaBytes) throw quotaExceeded(quotaBytes, (await this.deps.items.get(account))?.usedBytes ?? 0);
    const signedFrom = this.now();
    const uploads = await Promise.all(objects.map(async (o) => ({
      type: o.type, id: o.id, ...(await this.deps.objects.presignPut(objectKey(account, o), o.size, urlTtlSeconds)),
    })));
    const now = this.now();
    if (!(await this.deps.items.reserve(account, { bytes, quotaBytes, ...reservationSlot(now, urlTtlSeconds), now }))) {
      throw quotaExceeded(quotaBytes, (await this.deps.items.get(account))?.usedBytes ?? 0);
    }
    return { uploads, expiresAt: this.expiresAt(signedFrom) };
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

  /**
   * Deletes what exists of `objects`, only under a live exclusive lock of this account. One delete of the account
   * runs at a time (the delete lease), so what it finds by HEAD and removes is removed by it alone, and its release
   * (fenced by the lease) subtracts those real sizes once: only those of objects no still-valid URL could write again
   * (quota.ts); the others stay counted until a recount.
   */
  async delete(account: string, lockId: string, objects: readonly RepoObjectName[]) {
    const item = await this.deps.items.get(account);
    if (!item || !holdsExclusive(item.locks, lockId, this.now())) throw lockLost();
    const leaseId = await this.claimDeletes(account);
    const deleted: RepoObjectName[] = [];
    const missing: RepoObjectName[] = [];
    let bytes = 0;
    try {
      const heads = await mapLimit(objects, HEAD_CONCURRENCY, (o) => this.deps.objects.head(objectKey(account, o)));
      const now = this.now();
      objects.forEach((o, i) => {
        const head = heads[i];
        if (head === undefined) missing.push({ type: o.type, id: o.id });
        else {
          deleted.push({ type: o.type, id: o.id });
          if (releasable(head.lastModified, now, this.deps.config.urlTtlSeconds)) bytes += head.size;
        }
      });
      if (deleted.length > 0) await this.deps.objects.deleteObjects(deleted.map((o) => objectKey(account, o)));
    } catch (e) {
      // Whatever was removed stays counted (a recount corrects it); the lease ends so the next delete can run.
      await this.deps.items.release(account, leaseId, 0, this.now()).catch(() => undefined);
      throw e;
    }
    // Refused only if the lease expired and another delete or a recount took over: the bytes then stay counted.
    await this.deps.items.release(account, leaseId, bytes, this.now());
    return { deleted, missing };
  }

  /**
   * Undoes the account's deletions made at or after `since` (docs/protocol.md "Undelete"), one page of keys a call,
   * under a live exclusive lock (so no prune runs meanwhile). A restored config whose id the account no longer
   * records (after `DELETE /v1/vault?backups=true`) is recorded again, create-only. Usage is recounted once the
   * last page is done.
   */
  async undelete(account: string, lockId: string, since: number, after?: string, scope: { type?: RepoObjectType; objects?: readonly RepoObjectName[] } = {}) {
    const item = await this.deps.items.get(account);
    if (!item || !holdsExclusive(item.locks, lockId, this.now())) throw lockLost();
    const prefix = repoPrefix(account);
    let page: { restored: string[]; next?: string };
    if (scope.objects !== undefined) {
      // one object's key is a prefix of no other (ids have a fixed length): a page of it is the object alone
      const pages = await mapLimit(scope.objects, 8, (o) => this.deps.objects.undeletePage(objectKey(account, o), since));
      page = { restored: pages.flatMap((p) => p.restored) };
    } else {
      const from = scope.type !== undefined ? typePrefix(account, scope.type) : prefix;
      const marker = after !== undefined ? prefix + after : undefined;
      page = await this.deps.objects.undeletePage(from, since, marker);
    }
    const restored: RepoObjectName[] = [];
    for (const key of page.restored) {
      const [type, id] = key.slice(prefix.length).split('/') as [RepoObjectType, string];
      if (REPO_OBJECT_TYPES.includes(type) && idOfKey(typePrefix(account, type), key) !== undefined) restored.push({ type, id });
    }
    const config = restored.find((o) => o.type === 'config');
    if (config && item.repositoryId === undefined) await this.deps.items.setRepositoryId(account, config.id, this.now());
    const rest = page.next?.startsWith(prefix) ? page.next.slice(prefix.length) : undefined;
    const next = rest !== undefined && UndeleteMarker.safeParse(rest).success ? rest : undefined;
    if (next === undefined) await this.recount(account).catch((e: unknown) => this.deps.onBackgroundError?.(e));
    return { restored, ...(next !== undefined ? { next } : {}) };
  }

  /** Takes the account's delete lease, waiting a little while another delete holds it. */
  private async claimDeletes(account: string): Promise<string> {
    const leaseId = randomBytes(16).toString('hex');
    for (let i = 0; i < DELETE_LEASE_TRIES; i++) {
      if (i > 0) await this.sleep(Math.min(400, 25 * 2 ** (i - 1)));
      const now = this.now();
      if (await this.deps.items.claimDeletes(account, { leaseId, expiresAt: now + DELETE_LEASE_MS }, now)) return leaseId;
    }
    throw new BkvError('unavailable', 'another delete of this repository is running, retry');
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

  /**
   * Sets the usage to the sum of the stored objects' sizes plus the reservations whose URLs may still be used
   * (quota.ts), unless a reservation, release or other recount raced the listing or a delete is running (then the
   * next exclusive lock does it).
   */
  async recount(account: string): Promise<void> {
    const item = await this.deps.items.get(account);
    const start = this.now();
    if (leaseLive(item, start)) return;
    let counted = 0;
    await this.eachObject(repoPrefix(account), async (page) => {
      counted += sumSizes(page);
    });
    const used = counted + liveReserved(item?.reservations ?? [], start);
    if (used !== (item?.usedBytes ?? 0)) await this.deps.items.recount(account, item?.quotaVersion ?? 0, used, this.now());
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

  /**
   * `DELETE /v1/vault?backups=true`: every object under the account's prefix, then the repo item; only the usage of
   * reservations whose URLs may still be used is kept (those URLs can still store their bytes).
   */
  async deleteAll(account: string): Promise<void> {
    const prefix = accountPrefix(account);
    for (let round = 0; round < 3; round++) {
      const keys: string[] = [];
      await this.eachObject(prefix, async (page) => {
        keys.push(...page.map((o) => o.key));
      });
      for (let i = 0; i < keys.length; i += DELETE_BATCH) await this.deps.objects.deleteObjects(keys.slice(i, i + DELETE_BATCH));
      await this.forget(account);
      if (keys.length === 0) return;
    }
    const left = await this.deps.objects.list(prefix, { maxKeys: 1 });
    if (left.objects.length > 0) throw new BkvError('conflict', 'the repository changed while deleting, retry');
  }

  private async forget(account: string): Promise<void> {
    for (let i = 0; i < USAGE_WRITE_TRIES; i++) {
      const item = await this.deps.items.get(account);
      const now = this.now();
      if (await this.deps.items.delete(account, item?.quotaVersion ?? 0, liveReserved(item?.reservations ?? [], now), now)) return;
    }
    throw new BkvError('unavailable', 'the repository\'s usage is busy, retry');
  }
}
