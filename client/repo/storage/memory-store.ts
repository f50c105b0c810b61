// RepoStore in memory, for engine tests: every clause of the contract in store.ts (test/client/repo/storage/store.case.ts),
// with the server's lock rule (many shared or one exclusive; expired locks do not count), an optional quota, and
// ranged reads. `now` is injectable so tests can expire locks without waiting.

import { randomBytes } from 'node:crypto';
import { BkvError } from '../../../protocol/errors.js';
import { DEFAULT_LOCK_TTL_S } from '../../../protocol/repo-schemas.js';
import {
  RepoObjectMissing, type CallOptions, type LockRequest, type ObjectInfo, type ObjectName, type ObjectType, type Range, type RepoLock,
  type RepoStatus, type RepoStore,
} from './store.js';

export interface MemoryRepoStoreOptions {
  /** Bytes the repository may hold; unlimited when absent. */
  quotaBytes?: number;
  /** Epoch ms. */
  now?: () => number;
}

interface HeldLock extends RepoLock {
  ttlSeconds: number;
  description?: string;
}

function check(options?: CallOptions): void {
  if (options?.signal?.aborted) throw options.signal.reason;
}

const nameOf = (n: ObjectName) => `${n.type}/${n.id}`;
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

export class MemoryRepoStore implements RepoStore {
  private readonly objects = new Map<string, Uint8Array>();
  /** Deleted objects and when, kept for undelete (this store never purges them). */
  private readonly deletedObjects = new Map<string, { body: Uint8Array; at: number }>();
  private repositoryId: string | null = null;
  private locks: HeldLock[] = [];
  private readonly now: () => number;

  constructor(private readonly options: MemoryRepoStoreOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  private used(): number {
    let n = 0;
    for (const b of this.objects.values()) n += b.length;
    return n;
  }

  private live(): HeldLock[] {
    const now = this.now();
    this.locks = this.locks.filter((l) => l.expiresAt > now);
    return this.locks;
  }

  private store(key: string, body: Uint8Array): void {
    const existing = this.objects.get(key);
    if (existing) {
      if (!same(existing, body)) throw new BkvError('conflict', `${key} exists with other bytes`);
      return;
    }
    const quota = this.options.quotaBytes;
    const used = this.used();
    if (quota !== undefined && used + body.length > quota) {
      throw new BkvError('quota-exceeded', 'the repository would exceed its quota', { details: { quotaBytes: quota, usedBytes: used } });
    }
    this.objects.set(key, new Uint8Array(body));
  }

  async status(options?: CallOptions): Promise<RepoStatus> {
    check(options);
    return { repositoryId: this.repositoryId, usedBytes: this.used(), quotaBytes: this.options.quotaBytes ?? Number.MAX_SAFE_INTEGER };
  }

  async createConfig(repositoryId: string, body: Uint8Array, options?: CallOptions): Promise<void> {
    check(options);
    if (this.repositoryId !== null && this.repositoryId !== repositoryId) {
      throw new BkvError('repository-exists', 'the account already has a repository', { details: { repositoryId: this.repositoryId } });
    }
    this.store(nameOf({ type: 'config', id: repositoryId }), body);
    this.repositoryId = repositoryId;
  }

  async put(name: ObjectName, body: Uint8Array, options?: CallOptions): Promise<void> {
    check(options);
    this.store(nameOf(name), body);
  }

  async get(name: ObjectName, range?: Range, options?: CallOptions): Promise<Uint8Array> {
    check(options);
    const body = this.objects.get(nameOf(name));
    if (!body) throw new RepoObjectMissing({ type: name.type, id: name.id });
    if (!range) return new Uint8Array(body);
    return body.slice(Math.min(range.offset, body.length), Math.min(range.offset + range.length, body.length));
  }

  async *list(type: ObjectType, options?: CallOptions): AsyncIterable<ObjectInfo> {
    check(options);
    const prefix = `${type}/`;
    const found = [...this.objects].filter(([k]) => k.startsWith(prefix)).map(([k, b]) => ({ type, id: k.slice(prefix.length), size: b.length }));
    found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const o of found) {
      check(options);
      yield o;
    }
  }

  async delete(names: readonly ObjectName[], lockId: string, options?: CallOptions): Promise<{ deleted: ObjectName[]; missing: ObjectName[] }> {
    check(options);
    if (!this.live().some((l) => l.lockId === lockId && l.exclusive)) throw new BkvError('lock-lost', 'the lock is expired or was removed');
    const deleted: ObjectName[] = [];
    const missing: ObjectName[] = [];
    for (const n of names) {
      const body = this.objects.get(nameOf(n));
      if (body) this.deletedObjects.set(nameOf(n), { body, at: this.now() });
      (this.objects.delete(nameOf(n)) ? deleted : missing).push({ type: n.type, id: n.id });
    }
    return { deleted, missing };
  }

  async undelete(since: number, lockId: string, _after?: string, options?: CallOptions): Promise<{ restored: ObjectName[] }> {
    check(options);
    if (!this.live().some((l) => l.lockId === lockId && l.exclusive)) throw new BkvError('lock-lost', 'the lock is expired or was removed');
    const restored: ObjectName[] = [];
    for (const [key, d] of [...this.deletedObjects].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (d.at < since || this.objects.has(key)) continue;
      this.objects.set(key, d.body);
      this.deletedObjects.delete(key);
      const [type, id] = key.split('/') as [ObjectName['type'], string];
      restored.push({ type, id });
      if (type === 'config' && this.repositoryId === null) this.repositoryId = id;
    }
    return { restored };
  }

  async lock(request: LockRequest, options?: CallOptions): Promise<RepoLock> {
    check(options);
    const live = this.live();
    const holder = request.exclusive ? live.find((l) => l.exclusive) ?? live[0] : live.find((l) => l.exclusive);
    if (holder) {
      throw new BkvError('repository-locked', 'the repository is locked', {
        details: { exclusive: holder.exclusive, expiresAt: new Date(holder.expiresAt).toISOString(), ...(holder.description !== undefined ? { description: holder.description } : {}) },
      });
    }
    const ttlSeconds = request.ttlSeconds ?? DEFAULT_LOCK_TTL_S;
    const lock: HeldLock = {
      lockId: randomBytes(16).toString('hex'), exclusive: request.exclusive, expiresAt: this.now() + ttlSeconds * 1000, ttlSeconds,
      ...(request.description !== undefined ? { description: request.description } : {}),
    };
    this.locks.push(lock);
    return { lockId: lock.lockId, exclusive: lock.exclusive, expiresAt: lock.expiresAt };
  }

  async refresh(lockId: string, options?: CallOptions): Promise<RepoLock> {
    check(options);
    const lock = this.live().find((l) => l.lockId === lockId);
    if (!lock) throw new BkvError('lock-lost', 'the lock is expired or was removed');
    lock.expiresAt = this.now() + lock.ttlSeconds * 1000;
    return { lockId: lock.lockId, exclusive: lock.exclusive, expiresAt: lock.expiresAt };
  }

  async unlock(lockId: string, options?: CallOptions): Promise<void> {
    check(options);
    this.locks = this.locks.filter((l) => l.lockId !== lockId);
  }
}
