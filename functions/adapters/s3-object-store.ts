// ObjectStore on S3 (the local runtime's file-backed S3 subset locally): presigned PUTs that sign the exact
// content-length (S3 refuses a body of another length) and `If-None-Match: *` (an S3 conditional write: the URL
// creates an object that does not exist and nothing else, 412 PreconditionFailed otherwise; a request without the
// header does not match the signature), and presigned GETs, so object bytes never pass through a
// Lambda; ListObjectsV2 with StartAfter, HeadObject, DeleteObjects (a delete marker in the versioned bucket: the
// object stays a noncurrent version for the retention), and undelete: ListObjectVersions, then DeleteObject of the
// delete markers made since a time, which makes the version under them current again. Only translates: SDK exceptions become BkvErrors.

import {
  DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, PutObjectCommand,
  S3Client, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BkvError } from '../../protocol/errors.js';
import type { ObjectStore, PresignedUpload, StoredObject } from '../ports.js';
import { errorName, translateAwsError } from './aws-errors.js';

const NOT_FOUND = new Set(['NotFound', 'NoSuchKey']);

/**
 * An S3 client fit for presigning: checksums only where S3 requires them. (The default, WHEN_SUPPORTED, puts the
 * CRC32 of an empty body into presigned PUT URLs, and S3 then refuses every real upload.)
 */
export function repoS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', ...config });
}

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly client: S3Client, private readonly bucket: string) {}

  private async send<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw translateAwsError(e, 'object store');
    }
  }

  private static checked(url: string): string {
    // A checksum baked into a presigned PUT would make S3 refuse the upload (see repoS3Client).
    if (/[?&]x-amz-(checksum-crc|checksum-sha|sdk-checksum)/i.test(url)) throw new BkvError('internal', 'object store client signs checksums into urls');
    return url;
  }

  async presignPut(key: string, size: number, expiresInS: number): Promise<PresignedUpload> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentLength: size, IfNoneMatch: '*' });
    const url = await this.send(() => getSignedUrl(this.client, command, { expiresIn: expiresInS, signableHeaders: new Set(['content-length', 'if-none-match']) }));
    // Write-once is the URL's whole point: refuse to hand out one whose signature does not cover the condition.
    const signed = new URL(url).searchParams.get('X-Amz-SignedHeaders')?.split(';') ?? [];
    if (!signed.includes('if-none-match') || !signed.includes('content-length')) throw new BkvError('internal', 'object store client did not sign the write condition');
    return { url: S3ObjectStore.checked(url), headers: { 'content-length': String(size), 'if-none-match': '*' } };
  }

  async presignGet(key: string, expiresInS: number): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: key });
    return S3ObjectStore.checked(await this.send(() => getSignedUrl(this.client, command, { expiresIn: expiresInS })));
  }

  async list(prefix: string, options: { startAfter?: string; maxKeys: number }): Promise<{ objects: StoredObject[]; truncated: boolean }> {
    const out = await this.send(() => this.client.send(new ListObjectsV2Command({
      Bucket: this.bucket, Prefix: prefix, MaxKeys: options.maxKeys, ...(options.startAfter !== undefined ? { StartAfter: options.startAfter } : {}),
    })));
    const objects: StoredObject[] = [];
    for (const o of out.Contents ?? []) if (o.Key) objects.push({ key: o.Key, size: Number(o.Size ?? 0) });
    return { objects, truncated: out.IsTruncated === true };
  }

  async head(key: string): Promise<{ size: number; lastModified: number } | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      // Without a date the object counts as just written (its size is then not released: functions/repo/quota.ts).
      return { size: Number(out.ContentLength ?? 0), lastModified: out.LastModified?.getTime() ?? Number.MAX_SAFE_INTEGER };
    } catch (e) {
      if (NOT_FOUND.has(errorName(e) ?? '')) return undefined;
      throw translateAwsError(e, 'object store');
    }
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const out = await this.send(() => this.client.send(new DeleteObjectsCommand({
        Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
      })));
      const failed = (out.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const retryable = failed.every((e) => e.Code === 'SlowDown' || e.Code === 'InternalError');
        throw new BkvError(retryable ? 'unavailable' : 'internal', retryable ? 'object store is busy, retry' : 'object store failed to delete');
      }
    }
  }

  async undeletePage(prefix: string, since: number, keyMarker?: string): Promise<{ restored: string[]; next?: string }> {
    const out = await this.send(() => this.client.send(new ListObjectVersionsCommand({
      Bucket: this.bucket, Prefix: prefix, MaxKeys: 1000, ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
    })));
    type Entry = { key: string; versionId: string; at: number; marker: boolean };
    const byKey = new Map<string, Entry[]>();
    const add = (key: string | undefined, versionId: string | undefined, at: Date | undefined, marker: boolean) => {
      if (!key || !versionId) return;
      const list = byKey.get(key) ?? [];
      list.push({ key, versionId, at: at?.getTime() ?? 0, marker });
      byKey.set(key, list);
    };
    for (const v of out.Versions ?? []) add(v.Key, v.VersionId, v.LastModified, false);
    for (const m of out.DeleteMarkers ?? []) add(m.Key, m.VersionId, m.LastModified, true);
    const restored: string[] = [];
    for (const [key, entries] of byKey) {
      entries.sort((a, b) => b.at - a.at);
      // the markers on top, made since `since`: removing them makes the newest version under them current
      const markers: Entry[] = [];
      for (const e of entries) {
        if (!e.marker || e.at < since) break;
        markers.push(e);
      }
      const under = entries[markers.length];
      if (markers.length === 0 || under === undefined || under.marker) continue;
      for (const m of markers) await this.send(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: m.versionId })));
      restored.push(key);
    }
    const next = out.IsTruncated === true ? out.NextKeyMarker : undefined;
    return { restored: restored.sort(), ...(next ? { next } : {}) };
  }
}
