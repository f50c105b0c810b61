// The backups service: storage of encrypted backups through presigned S3 URLs (docs/protocol.md, "Storage API").
// Pure logic over the BackupStore, BlobStore and Clock ports. A backup is pending until `complete` has checked
// the object's real size against the declared one and committed it with one conditional write; only then are
// committed backups beyond the retention deleted (invariant 9: a new backup never replaces an old one early).
// Every state change of a record is one conditional write: pending → committed, pending|committed → deleting,
// deleting → gone (after its multipart upload is aborted and its object deleted).

import {
  COMPLETE_GRACE_MS, LATEST, partCountFor, partSizeFor, type BackupInfo, type CreateBackupResult, type GetBackupResult,
} from '../../protocol/backups-schemas.js';
import { BkvError } from '../../protocol/errors.js';
import type { BackupRecord, BackupStore, BlobStore, Clock, UploadedPart } from '../ports.js';
import { accountPrefix, backupIdGenerator, objectKey, parseObjectKey } from './ids.js';

export interface BackupsConfig {
  /** Largest backup in bytes (413 above). */
  maxBytes: number;
  /** Committed backups kept per account. */
  retention: number;
  /** Lifetime of presigned URLs. */
  urlTtlSeconds: number;
}

/** Uploads in progress per account; a create beyond this cancels the oldest. */
export const MAX_PENDING_UPLOADS = 4;
/** A multipart upload with no record older than this is a leftover (younger ones may be a create in flight). */
export const STRAY_UPLOAD_AGE_MS = 15 * 60_000;

export interface BackupsServiceDeps {
  store: BackupStore;
  blobs: BlobStore;
  clock: Clock;
  config: BackupsConfig;
  /** Id source (tests); defaults to a monotonic ULID generator. */
  newId?: (now: number) => string;
  /** Failures of clean-up work done after the answer is decided (old backups beyond retention). */
  onBackgroundError?: (e: unknown) => void;
}

const iso = (ms: number) => new Date(ms).toISOString();
const noQuotes = (etag: string) => etag.replaceAll('"', '');

function info(r: BackupRecord): BackupInfo {
  return { backupId: r.backupId, size: r.size, createdAt: iso(r.createdAt) };
}

function notFound(): BkvError {
  return new BkvError('not-found', 'no such backup');
}

export class BackupsService {
  private readonly newId: (now: number) => string;

  constructor(private readonly deps: BackupsServiceDeps) {
    this.newId = deps.newId ?? backupIdGenerator();
  }

  get config(): BackupsConfig {
    return this.deps.config;
  }

  private stale(r: BackupRecord, now: number): boolean {
    return now > r.expiresAt + COMPLETE_GRACE_MS;
  }

  /** Aborts the upload, deletes the object, then the record (already `deleting`). Idempotent. */
  private async finishDeleting(r: BackupRecord): Promise<void> {
    const key = objectKey(r.account, r.backupId);
    if (r.uploadId) await this.deps.blobs.abortMultipartUpload(key, r.uploadId);
    await this.deps.blobs.deleteObjects([key]);
    await this.deps.store.remove(r.account, r.backupId);
  }

  /** Takes a pending or committed backup out; false if its state changed under us. */
  private async discard(r: BackupRecord): Promise<boolean> {
    if (r.state === 'deleting') {
      await this.finishDeleting(r);
      return true;
    }
    if (!(await this.deps.store.markDeleting(r.account, r.backupId, r.state))) return false;
    await this.finishDeleting({ ...r, state: 'deleting' });
    return true;
  }

  private async committed(account: string): Promise<BackupRecord[]> {
    const records = await this.deps.store.list(account);
    return records.filter((r) => r.state === 'committed').sort((a, b) => (a.backupId < b.backupId ? 1 : -1));
  }

  /**
   * Clears what uploads left behind for one account: unfinished deletions, pending backups past their URLs'
   * expiry (plus grace), multipart uploads and objects that no record owns. With `keepPending`, also cancels the
   * oldest uploads in progress beyond that many.
   */
  async tidy(account: string, now: number, keepPending?: number): Promise<void> {
    const records = await this.deps.store.list(account);
    const live: BackupRecord[] = [];
    for (const r of records) {
      if (r.state === 'deleting') await this.finishDeleting(r);
      else if (r.state === 'pending' && this.stale(r, now)) await this.discard(r);
      else if (r.state === 'pending') live.push(r);
    }
    if (keepPending !== undefined) {
      live.sort((a, b) => (a.backupId < b.backupId ? -1 : 1));
      while (live.length > keepPending) {
        const oldest = live.shift();
        if (oldest) await this.discard(oldest);
      }
    }

    // Housekeeping past this point never fails the request: a lifecycle rule aborts old uploads in AWS anyway.
    await this.sweepStrays(account, now, records, live).catch((e: unknown) => this.deps.onBackgroundError?.(e));
  }

  /** Aborts multipart uploads and deletes objects under the account's prefix that no live record owns. */
  private async sweepStrays(account: string, now: number, records: BackupRecord[], live: BackupRecord[]): Promise<void> {
    const prefix = accountPrefix(account);
    const [uploads, objects] = await Promise.all([
      this.deps.blobs.listMultipartUploads(prefix), this.deps.blobs.listObjects(prefix),
    ]);
    const kept = new Map(records.filter((r) => r.state === 'committed').concat(live).map((r) => [r.backupId, r]));
    // Known records answer from the list; anything else is read again (it may have been created since).
    const owned = async (key: string, uploadId?: string): Promise<boolean> => {
      const backupId = parseObjectKey(key)?.backupId;
      if (backupId === undefined) return false;
      const r = kept.get(backupId) ?? (await this.deps.store.get(account, backupId));
      return r !== undefined && r.state !== 'deleting' && (uploadId === undefined || r.uploadId === uploadId);
    };
    for (const u of uploads) {
      if (u.initiatedAt < now - STRAY_UPLOAD_AGE_MS && !(await owned(u.key, u.uploadId))) {
        await this.deps.blobs.abortMultipartUpload(u.key, u.uploadId);
      }
    }
    const orphans: string[] = [];
    for (const o of objects) if (!(await owned(o.key))) orphans.push(o.key);
    if (orphans.length > 0) await this.deps.blobs.deleteObjects(orphans);
  }

  async create(account: string, size: number): Promise<CreateBackupResult> {
    const { maxBytes, urlTtlSeconds } = this.deps.config;
    if (!Number.isInteger(size) || size < 0) throw new BkvError('bad-request', 'size: must be an integer of 0 or more');
    if (size > maxBytes) {
      throw new BkvError('payload-too-large', `backup is over the limit of ${maxBytes} bytes`, { details: { maxSize: maxBytes } });
    }
    const now = this.deps.clock.now();
    await this.tidy(account, now, MAX_PENDING_UPLOADS - 1);

    const backupId = this.newId(now);
    const key = objectKey(account, backupId);
    const partSize = partSizeFor(size);
    const partCount = partCountFor(size, partSize);
    const uploadId = partCount > 1 ? await this.deps.blobs.createMultipartUpload(key) : undefined;
    const record: BackupRecord = {
      account, backupId, state: 'pending', size, partSize, partCount, createdAt: now, expiresAt: now + urlTtlSeconds * 1000,
      ...(uploadId ? { uploadId } : {}),
    };
    let written = false;
    try {
      written = await this.deps.store.createPending(record);
    } finally {
      if (!written && uploadId) await this.deps.blobs.abortMultipartUpload(key, uploadId).catch(() => undefined);
    }
    if (!written) throw new BkvError('conflict', 'backup id already taken, retry');

    const lengthOf = (n: number) => (n < partCount ? partSize : size - partSize * (partCount - 1));
    const parts = await Promise.all(Array.from({ length: partCount }, async (_, i) => ({
      partNumber: i + 1,
      url: uploadId
        ? await this.deps.blobs.presignPart(key, uploadId, i + 1, lengthOf(i + 1), urlTtlSeconds)
        : await this.deps.blobs.presignPut(key, size, urlTtlSeconds),
    })));
    return { backupId, partSize, parts, expiresAt: iso(record.expiresAt) };
  }

  async complete(account: string, backupId: string, parts: readonly UploadedPart[]): Promise<BackupInfo> {
    const r = await this.deps.store.get(account, backupId);
    if (!r || r.state === 'deleting') throw notFound();
    if (r.state === 'committed') return info(r); // a retried complete
    const now = this.deps.clock.now();
    if (this.stale(r, now)) {
      await this.discard(r);
      throw new BkvError('conflict', 'upload expired; start a new backup');
    }
    if (parts.length !== r.partCount || parts.some((p, i) => p.partNumber !== i + 1)) {
      throw new BkvError('bad-request', `parts: must be parts 1 to ${r.partCount} in order`, { details: { partCount: r.partCount } });
    }

    const key = objectKey(account, backupId);
    let outcome: 'completed' | 'no-such-upload' | 'single' = 'single';
    if (r.uploadId) outcome = await this.deps.blobs.completeMultipartUpload(key, r.uploadId, parts);
    const head = await this.deps.blobs.head(key);
    if (!head) {
      if (outcome === 'no-such-upload') throw new BkvError('conflict', 'upload was cancelled; start a new backup');
      if (outcome === 'single') throw new BkvError('bad-request', 'nothing was uploaded for this backup');
      throw new BkvError('unavailable', 'uploaded object is not visible yet, retry');
    }
    if (outcome === 'single' && head.etag !== undefined && noQuotes(head.etag) !== noQuotes(parts[0]?.etag ?? '')) {
      throw new BkvError('bad-request', 'etag does not match the uploaded object');
    }
    if (head.size !== r.size) {
      await this.discard(r);
      throw new BkvError('bad-request', 'uploaded size does not match the declared size; start a new backup', {
        details: { declaredSize: r.size, uploadedSize: head.size },
      });
    }

    if (!(await this.deps.store.commit(account, backupId, now))) {
      const after = await this.deps.store.get(account, backupId);
      if (after?.state === 'committed') return info(after);
      throw new BkvError('conflict', 'backup was deleted while completing');
    }
    await this.applyRetention(account).catch((e: unknown) => this.deps.onBackgroundError?.(e));
    return info(r);
  }

  /** Deletes committed backups beyond the newest `retention`. */
  private async applyRetention(account: string): Promise<void> {
    const old = (await this.committed(account)).slice(this.deps.config.retention);
    for (const r of old) await this.discard(r);
  }

  async list(account: string): Promise<{ backups: BackupInfo[] }> {
    return { backups: (await this.committed(account)).map(info) };
  }

  async get(account: string, ref: string): Promise<GetBackupResult> {
    let r: BackupRecord | undefined;
    if (ref === LATEST) {
      r = (await this.committed(account))[0];
      if (!r) throw new BkvError('not-found', 'no backups yet');
    } else {
      r = await this.deps.store.get(account, ref);
      if (!r || r.state !== 'committed') throw notFound();
    }
    const downloadUrl = await this.deps.blobs.presignGet(objectKey(account, r.backupId), this.deps.config.urlTtlSeconds);
    if (!downloadUrl) throw new BkvError('unavailable', 'backup is not readable in this region yet, retry');
    return { ...info(r), downloadUrl };
  }

  async delete(account: string, backupId: string): Promise<void> {
    for (let i = 0; i < 3; i++) {
      const r = await this.deps.store.get(account, backupId);
      if (!r) {
        if (i === 0) throw notFound();
        return; // deleted concurrently
      }
      if (await this.discard(r)) return;
    }
    throw new BkvError('conflict', 'backup changed while deleting, retry');
  }

  /** Deletes every backup of the account, in progress or committed, and anything else under its prefix. */
  async deleteAll(account: string): Promise<void> {
    for (let round = 0; round < 3; round++) {
      const records = await this.deps.store.list(account);
      for (const r of records) await this.discard(r);
      const prefix = accountPrefix(account);
      const [uploads, objects] = await Promise.all([
        this.deps.blobs.listMultipartUploads(prefix), this.deps.blobs.listObjects(prefix),
      ]);
      for (const u of uploads) await this.deps.blobs.abortMultipartUpload(u.key, u.uploadId);
      if (objects.length > 0) await this.deps.blobs.deleteObjects(objects.map((o) => o.key));
      if ((await this.deps.store.list(account)).length === 0) return;
    }
    throw new BkvError('conflict', 'backups changed while deleting, retry');
  }

  /** Start-up clean-up (local runtime): tidies every account with unfinished uploads or leftover parts. */
  async tidyAll(): Promise<void> {
    const now = this.deps.clock.now();
    const accounts = new Set(await this.deps.store.accountsWithUnfinished());
    for (const u of await this.deps.blobs.listMultipartUploads('accounts/')) {
      const account = parseObjectKey(u.key)?.account;
      if (account !== undefined) accounts.add(account);
    }
    for (const account of accounts) await this.tidy(account, now);
  }
}
