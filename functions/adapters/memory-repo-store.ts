// RepoItemStore in memory, for tests: the same conditional semantics as dynamo-repo-store.ts. Each method checks its
// condition and writes with no `await` in between, so each one is atomic as one conditional UpdateItem is.

import type { RepoItem, RepoItemStore, RepoLockEntry } from '../ports.js';

interface Attrs {
  repoId?: string;
  used?: number;
  locks?: RepoLockEntry[];
  ver?: number;
  updatedAt: number;
}

export class MemoryRepoItemStore implements RepoItemStore {
  private readonly items = new Map<string, Attrs>();

  private item(account: string, now: number): Attrs {
    let a = this.items.get(account);
    if (!a) this.items.set(account, (a = { updatedAt: now }));
    return a;
  }

  async get(account: string): Promise<RepoItem | undefined> {
    const a = this.items.get(account);
    if (!a) return undefined;
    return {
      account,
      ...(a.repoId !== undefined ? { repositoryId: a.repoId } : {}),
      usedBytes: Math.max(0, a.used ?? 0),
      locks: (a.locks ?? []).map((l) => ({ ...l })),
      version: a.ver ?? 0,
    };
  }

  async setRepositoryId(account: string, repositoryId: string, now: number): Promise<string> {
    const existing = this.items.get(account)?.repoId;
    if (existing !== undefined && existing !== repositoryId) return existing;
    const a = this.item(account, now);
    a.repoId = repositoryId;
    a.updatedAt = now;
    return repositoryId;
  }

  async reserve(account: string, bytes: number, quotaBytes: number, now: number): Promise<boolean> {
    const used = this.items.get(account)?.used;
    if (bytes > quotaBytes || (used !== undefined && used > quotaBytes - bytes)) return false;
    const a = this.item(account, now);
    a.used = (a.used ?? 0) + bytes;
    a.updatedAt = now;
    return true;
  }

  async release(account: string, bytes: number, now: number): Promise<void> {
    const a = this.items.get(account);
    if (a?.used === undefined) return;
    a.used = Math.max(0, a.used - bytes);
    a.updatedAt = now;
  }

  async writeLocks(account: string, version: number, locks: readonly RepoLockEntry[], now: number): Promise<boolean> {
    const ver = this.items.get(account)?.ver;
    if (version === 0 ? ver !== undefined : ver !== version) return false;
    const a = this.item(account, now);
    a.locks = locks.map((l) => ({ ...l }));
    a.ver = version + 1;
    a.updatedAt = now;
    return true;
  }

  async recount(account: string, seen: number, counted: number, now: number): Promise<boolean> {
    const used = this.items.get(account)?.used;
    if (!(used === seen || (seen === 0 && used === undefined))) return false;
    const a = this.item(account, now);
    a.used = counted;
    a.updatedAt = now;
    return true;
  }

  async delete(account: string): Promise<void> {
    this.items.delete(account);
  }
}
