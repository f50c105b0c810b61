// An instrumented in-memory RepoStore for the snapshot engine's tests: unlike the SDK's MemoryRepoStore
// (client/repo/storage/memory-store.ts, which runs the store contract suite), it counts bytes and calls, exposes its
// objects and locks so a test can tamper with them, copies every body in and out (as a network would), and can
// fail a chosen call (`hook`) to simulate crashes at exact points.

import { randomBytes } from 'node:crypto';
import { BkvError } from '../../protocol/errors.js';
import { DEFAULT_LOCK_TTL_S } from '../../protocol/repo-schemas.js';
import {
  type CallOptions, type LockRequest, type ObjectInfo, type ObjectName, type ObjectType, type Range, type RepoLock, type RepoStatus,
  type RepoStore, RepoObjectMissing,
} from '../../client/repo/storage/store.js';

function check(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

export class TestMemoryStore implements RepoStore {
  readonly objects = new Map<string, Uint8Array>();
  readonly locks = new Map<string, RepoLock>();
  /** Each lock's lease in seconds (what it asked for, or the server's default), renewed by a refresh. */
  private readonly ttls = new Map<string, number>();
  repositoryId: string | null = null;
  putBytes = 0;
  putCount = 0;
  getBytes = 0;
  /** Called before every operation; throw to fail it. */
  hook: ((op: string, name?: ObjectName) => void) | undefined;

  /** `copy: false` keeps the caller's buffers (benchmarks: no copies a real store would not make either). */
  constructor(readonly quotaBytes = Number.MAX_SAFE_INTEGER, private readonly copy = true) {}

  private key(n: ObjectName): string {
    return `${n.type}/${n.id}`;
  }

  private used = 0;

  usedBytes(): number {
    return this.used;
  }

  async status(options?: CallOptions): Promise<RepoStatus> {
    check(options?.signal);
    return { repositoryId: this.repositoryId, usedBytes: this.usedBytes(), quotaBytes: this.quotaBytes };
  }

  async createConfig(repositoryId: string, body: Uint8Array, options?: CallOptions): Promise<void> {
    check(options?.signal);
    if (this.repositoryId !== null && this.repositoryId !== repositoryId) {
      throw new BkvError('repository-exists', 'repository exists', { details: { repositoryId: this.repositoryId } });
    }
    this.repositoryId = repositoryId;
    this.used += body.length;
    this.objects.set(this.key({ type: 'config', id: repositoryId }), new Uint8Array(body));
  }

  async put(name: ObjectName, body: Uint8Array, options?: CallOptions): Promise<void> {
    check(options?.signal);
    this.hook?.('put', name);
    await Promise.resolve();
    check(options?.signal);
    if (this.usedBytes() + body.length > this.quotaBytes) throw new BkvError('quota-exceeded', 'quota exceeded', { details: { quotaBytes: this.quotaBytes, usedBytes: this.usedBytes() } });
    this.putBytes += body.length;
    this.putCount++;
    this.used += body.length - (this.objects.get(this.key(name))?.length ?? 0);
    this.objects.set(this.key(name), this.copy ? new Uint8Array(body) : body);
  }

  async get(name: ObjectName, range?: Range, options?: CallOptions): Promise<Uint8Array> {
    check(options?.signal);
    this.hook?.('get', name);
    await Promise.resolve();
    const v = this.objects.get(this.key(name));
    if (v === undefined) throw new RepoObjectMissing(name);
    const out = range === undefined ? new Uint8Array(v) : new Uint8Array(v.subarray(range.offset, range.offset + range.length));
    this.getBytes += out.length;
    return out;
  }

  async *list(type: ObjectType, options?: CallOptions): AsyncIterable<ObjectInfo> {
    check(options?.signal);
    const out: ObjectInfo[] = [];
    for (const [k, v] of this.objects) {
      const [t, id] = k.split('/') as [ObjectType, string];
      if (t === type) out.push({ type, id, size: v.length });
    }
    out.sort((a, b) => (a.id < b.id ? -1 : 1));
    yield* out;
  }

  private live(): RepoLock[] {
    const now = Date.now();
    for (const [id, l] of this.locks) if (l.expiresAt <= now) { this.locks.delete(id); this.ttls.delete(id); }
    return [...this.locks.values()];
  }

  async delete(names: readonly ObjectName[], lockId: string, options?: CallOptions) {
    check(options?.signal);
    const lock = this.live().find((l) => l.lockId === lockId);
    if (lock === undefined || !lock.exclusive) throw new BkvError('lock-lost', 'no exclusive lock');
    const deleted: ObjectName[] = [];
    const missing: ObjectName[] = [];
    for (const n of names) {
      this.hook?.('delete', n);
      const had = this.objects.get(this.key(n));
      if (had !== undefined) {
        this.used -= had.length;
        this.objects.delete(this.key(n));
        deleted.push(n);
      }
      else missing.push(n);
    }
    return { deleted, missing };
  }

  async lock(request: LockRequest, options?: CallOptions): Promise<RepoLock> {
    check(options?.signal);
    const live = this.live();
    if (live.some((l) => l.exclusive) || (request.exclusive && live.length > 0)) {
      throw new BkvError('repository-locked', 'repository is locked', { details: { holders: live.length } });
    }
    const ttlSeconds = request.ttlSeconds ?? DEFAULT_LOCK_TTL_S;
    const lock = { lockId: randomBytes(16).toString('hex'), exclusive: request.exclusive, expiresAt: Date.now() + ttlSeconds * 1000 };
    this.locks.set(lock.lockId, lock);
    this.ttls.set(lock.lockId, ttlSeconds);
    return { ...lock };
  }

  async refresh(lockId: string, options?: CallOptions): Promise<RepoLock> {
    check(options?.signal);
    const l = this.live().find((x) => x.lockId === lockId);
    if (l === undefined) throw new BkvError('lock-lost', 'lock lost');
    l.expiresAt = Date.now() + (this.ttls.get(lockId) ?? DEFAULT_LOCK_TTL_S) * 1000;
    return { ...l };
  }

  async unlock(lockId: string): Promise<void> {
    this.locks.delete(lockId);
    this.ttls.delete(lockId);
  }
}
