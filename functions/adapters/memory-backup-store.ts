// BackupStore in memory, for tests and experiments: the same conditional semantics as dynamo-backup-store.ts
// (one record per backup; pending → committed, pending|committed → deleting, deleting → gone; newest backupId
// first). Each method checks its condition and writes with no `await` in between, so each one is atomic as one
// conditional write is. Records are copied in and out, as a round trip through DynamoDB would.

import type { BackupRecord, BackupStore } from '../ports.js';

const copy = (r: BackupRecord): BackupRecord => ({ ...r });

export class MemoryBackupStore implements BackupStore {
  /** account → backupId → record */
  private readonly accounts = new Map<string, Map<string, BackupRecord>>();

  private records(account: string): Map<string, BackupRecord> {
    let records = this.accounts.get(account);
    if (!records) this.accounts.set(account, (records = new Map()));
    return records;
  }

  async list(account: string): Promise<BackupRecord[]> {
    const records = [...(this.accounts.get(account)?.values() ?? [])];
    return records.sort((x, y) => (x.backupId < y.backupId ? 1 : x.backupId > y.backupId ? -1 : 0)).map(copy);
  }

  async get(account: string, backupId: string): Promise<BackupRecord | undefined> {
    const r = this.accounts.get(account)?.get(backupId);
    return r ? copy(r) : undefined;
  }

  async createPending(r: BackupRecord): Promise<boolean> {
    const records = this.records(r.account);
    if (records.has(r.backupId)) return false;
    const record: BackupRecord = {
      account: r.account, backupId: r.backupId, state: 'pending', size: r.size, partSize: r.partSize, partCount: r.partCount,
      createdAt: r.createdAt, expiresAt: r.expiresAt,
    };
    if (r.uploadId !== undefined) record.uploadId = r.uploadId;
    records.set(r.backupId, record);
    return true;
  }

  async commit(account: string, backupId: string, committedAt: number): Promise<boolean> {
    const r = this.accounts.get(account)?.get(backupId);
    if (r?.state !== 'pending') return false;
    r.state = 'committed';
    r.committedAt = committedAt;
    return true;
  }

  async markDeleting(account: string, backupId: string, from: 'pending' | 'committed'): Promise<boolean> {
    const r = this.accounts.get(account)?.get(backupId);
    if (r?.state !== from) return false;
    r.state = 'deleting';
    return true;
  }

  async remove(account: string, backupId: string): Promise<void> {
    const records = this.accounts.get(account);
    if (records?.get(backupId)?.state === 'deleting') records.delete(backupId);
  }

  async accountsWithUnfinished(): Promise<string[]> {
    return [...this.accounts].filter(([, records]) => [...records.values()].some((r) => r.state !== 'committed')).map(([a]) => a);
  }
}
