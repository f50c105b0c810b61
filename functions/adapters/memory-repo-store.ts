// RepoItemStore in memory, for tests: the same conditional semantics as dynamo-repo-store.ts. Each method checks its
// condition and writes with no `await` in between, so each one is atomic as one conditional UpdateItem is.

import { MAX_NONCES_PER_PERIOD, NONCE_PERIOD_MS } from '../../protocol/repo-signature.js';
import type { NonceUse, RepoDeleteLease, RepoItem, RepoItemStore, RepoLockEntry, RepoReservation, Reserve } from '../ports.js';

interface Attrs {
  repoId?: string;
  used?: number;
  slots: (RepoReservation | undefined)[];
  qv?: number;
  lease?: RepoDeleteLease;
  locks?: RepoLockEntry[];
  ver?: number;
  sig?: string;
  /** nonce → expiresAt */
  nonces?: Map<string, number>;
  updatedAt: number;
}

export class MemoryRepoItemStore implements RepoItemStore {
  private readonly items = new Map<string, Attrs>();

  private item(account: string, now: number): Attrs {
    let a = this.items.get(account);
    if (!a) this.items.set(account, (a = { slots: [], updatedAt: now }));
    return a;
  }

  async get(account: string): Promise<RepoItem | undefined> {
    const a = this.items.get(account);
    if (!a) return undefined;
    return {
      account,
      ...(a.repoId !== undefined ? { repositoryId: a.repoId } : {}),
      usedBytes: Math.max(0, a.used ?? 0),
      reservations: a.slots.filter((r) => r !== undefined).map((r) => ({ ...r })),
      quotaVersion: a.qv ?? 0,
      ...(a.lease ? { deleteLease: { ...a.lease } } : {}),
      locks: (a.locks ?? []).map((l) => ({ ...l })),
      version: a.ver ?? 0,
      ...(a.sig !== undefined ? { signingKey: a.sig } : {}),
    };
  }

  async setSigningKey(account: string, signingKey: string, now: number): Promise<string> {
    const existing = this.items.get(account)?.sig;
    if (existing !== undefined) return existing;
    const a = this.item(account, now);
    a.sig = signingKey;
    a.updatedAt = now;
    return signingKey;
  }

  async useNonce(account: string, nonce: string, expiresAt: number, now: number): Promise<NonceUse> {
    const seen = this.items.get(account)?.nonces;
    if (seen !== undefined) {
      for (const [n, exp] of seen) if (exp <= now) seen.delete(n);
      if (seen.has(nonce)) return 'replayed';
      const period = Math.floor(expiresAt / NONCE_PERIOD_MS);
      let inPeriod = 0;
      for (const exp of seen.values()) if (Math.floor(exp / NONCE_PERIOD_MS) === period) inPeriod++;
      if (inPeriod >= MAX_NONCES_PER_PERIOD) return 'full';
    }
    const a = this.item(account, now);
    (a.nonces ??= new Map()).set(nonce, expiresAt);
    a.updatedAt = now;
    return 'recorded';
  }

  async setRepositoryId(account: string, repositoryId: string, now: number): Promise<string> {
    const existing = this.items.get(account)?.repoId;
    if (existing !== undefined && existing !== repositoryId) return existing;
    const a = this.item(account, now);
    a.repoId = repositoryId;
    a.updatedAt = now;
    return repositoryId;
  }

  async reserve(account: string, r: Reserve): Promise<boolean> {
    const used = this.items.get(account)?.used;
    if (r.bytes > r.quotaBytes || (used !== undefined && used > r.quotaBytes - r.bytes)) return false;
    const a = this.item(account, r.now);
    a.used = (a.used ?? 0) + r.bytes;
    a.qv = (a.qv ?? 0) + 1;
    const slot = a.slots[r.slot];
    a.slots[r.slot] = slot === undefined || slot.countsUntil <= r.now
      ? { slot: r.slot, bytes: r.bytes, countsUntil: r.countsUntil }
      : { slot: r.slot, bytes: slot.bytes + r.bytes, countsUntil: Math.max(slot.countsUntil, r.countsUntil) };
    a.updatedAt = r.now;
    return true;
  }

  async claimDeletes(account: string, lease: RepoDeleteLease, now: number): Promise<boolean> {
    const held = this.items.get(account)?.lease;
    if (held !== undefined && held.expiresAt > now) return false;
    const a = this.item(account, now);
    a.lease = { ...lease };
    a.updatedAt = now;
    return true;
  }

  async release(account: string, leaseId: string, bytes: number, now: number): Promise<boolean> {
    const a = this.items.get(account);
    if (a?.lease?.leaseId !== leaseId) return false;
    a.used = Math.max(0, (a.used ?? 0) - bytes);
    a.qv = (a.qv ?? 0) + 1;
    delete a.lease;
    a.updatedAt = now;
    return true;
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

  async recount(account: string, seenQuotaVersion: number, usedBytes: number, now: number): Promise<boolean> {
    const existing = this.items.get(account);
    if ((existing?.qv ?? 0) !== seenQuotaVersion) return false;
    if (existing?.lease !== undefined && existing.lease.expiresAt > now) return false;
    const a = this.item(account, now);
    a.used = usedBytes;
    a.qv = (a.qv ?? 0) + 1;
    delete a.lease;
    a.updatedAt = now;
    return true;
  }

  async delete(account: string, seenQuotaVersion: number, keepBytes: number, now: number): Promise<boolean> {
    const a = this.items.get(account);
    if (!a) return true;
    if ((a.qv ?? 0) !== seenQuotaVersion) return false;
    if (keepBytes === 0) {
      this.items.delete(account);
      return true;
    }
    this.items.set(account, { used: keepBytes, qv: (a.qv ?? 0) + 1, slots: a.slots, ...(a.nonces ? { nonces: a.nonces } : {}), updatedAt: now });
    return true;
  }
}
