// BlobStore on S3 (s3rver locally): presigned PUTs (single or multipart parts) and GETs, so backup bytes never
// pass through a Lambda. Presigned PUTs sign `content-length`, so S3 refuses a part or object of another size.
// Downloads fall back to a bucket in another region (BACKUP_FALLBACK_BUCKET/REGION) while replication catches up.
// Only translates: SDK exceptions become BkvErrors (aws-errors.ts).

import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand,
  S3Client, UploadPartCommand, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BkvError } from '../../protocol/errors.js';
import type { BlobEntry, BlobHead, BlobStore, MultipartUpload, UploadedPart } from '../ports.js';
import { errorName, translateAwsError } from './aws-errors.js';

/** S3 errors of CompleteMultipartUpload that mean "these parts are not what was uploaded". */
const BAD_PARTS = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'MalformedXML', 'InvalidRequest']);
const NOT_FOUND = new Set(['NotFound', 'NoSuchKey']);

/**
 * An S3 client fit for presigning: checksums only where S3 requires them. (The default, WHEN_SUPPORTED, puts the
 * CRC32 of an empty body into presigned PUT URLs, and S3 then refuses every real upload.)
 */
export function backupS3Client(config: S3ClientConfig = {}): S3Client {
  return new S3Client({ requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED', ...config });
}

export interface S3Location {
  client: S3Client;
  bucket: string;
}

export class S3BlobStore implements BlobStore {
  constructor(private readonly primary: S3Location, private readonly fallback?: S3Location) {}

  private get client(): S3Client {
    return this.primary.client;
  }

  private get bucket(): string {
    return this.primary.bucket;
  }

  private async send<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw translateAwsError(e, 'blob store');
    }
  }

  /** Presigns; with `sign`, `content-length` is signed too, so S3 refuses a body of another length. */
  private async presign(sign: (options: { expiresIn: number; signableHeaders?: Set<string> }) => Promise<string>, expiresIn: number, signLength: boolean): Promise<string> {
    const url = await this.send(() => sign({ expiresIn, ...(signLength ? { signableHeaders: new Set(['content-length']) } : {}) }));
    // A checksum baked into a presigned PUT would make S3 refuse the upload (see backupS3Client).
    if (/[?&]x-amz-(checksum-crc|checksum-sha|sdk-checksum)/i.test(url)) {
      throw new BkvError('internal', 'blob store client signs checksums into urls');
    }
    return url;
  }

  presignPut(key: string, size: number, expiresInS: number): Promise<string> {
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentLength: size });
    return this.presign((o) => getSignedUrl(this.client, command, o), expiresInS, true);
  }

  async createMultipartUpload(key: string): Promise<string> {
    const out = await this.send(() => this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key })));
    if (!out.UploadId) throw new BkvError('internal', 'blob store gave no upload id');
    return out.UploadId;
  }

  presignPart(key: string, uploadId: string, partNumber: number, size: number, expiresInS: number): Promise<string> {
    const command = new UploadPartCommand({
      Bucket: this.bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, ContentLength: size,
    });
    return this.presign((o) => getSignedUrl(this.client, command, o), expiresInS, true);
  }

  async completeMultipartUpload(key: string, uploadId: string, parts: readonly UploadedPart[]): Promise<'completed' | 'no-such-upload'> {
    try {
      await this.client.send(new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
      }));
      return 'completed';
    } catch (e) {
      const name = errorName(e);
      if (name === 'NoSuchUpload') return 'no-such-upload';
      if (name !== undefined && BAD_PARTS.has(name)) {
        throw new BkvError('bad-request', 'parts do not match what was uploaded', { cause: e });
      }
      throw translateAwsError(e, 'blob store');
    }
  }

  async abortMultipartUpload(key: string, uploadId: string): Promise<void> {
    try {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId: uploadId }));
    } catch (e) {
      if (errorName(e) !== 'NoSuchUpload') throw translateAwsError(e, 'blob store');
    }
  }

  async listMultipartUploads(prefix: string): Promise<MultipartUpload[]> {
    const uploads: MultipartUpload[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const out = await this.send(() => this.client.send(new ListMultipartUploadsCommand({
        Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker,
      })));
      for (const u of out.Uploads ?? []) {
        if (u.Key && u.UploadId) uploads.push({ key: u.Key, uploadId: u.UploadId, initiatedAt: u.Initiated?.getTime() ?? 0 });
      }
      if (!out.IsTruncated || (!out.NextKeyMarker && !out.NextUploadIdMarker)) return uploads;
      keyMarker = out.NextKeyMarker;
      uploadIdMarker = out.NextUploadIdMarker;
    }
  }

  private async headIn(location: S3Location, key: string): Promise<BlobHead | undefined> {
    try {
      const out = await location.client.send(new HeadObjectCommand({ Bucket: location.bucket, Key: key }));
      return { size: Number(out.ContentLength ?? 0), ...(out.ETag ? { etag: out.ETag } : {}) };
    } catch (e) {
      if (NOT_FOUND.has(errorName(e) ?? '')) return undefined;
      throw translateAwsError(e, 'blob store');
    }
  }

  head(key: string): Promise<BlobHead | undefined> {
    return this.headIn(this.primary, key);
  }

  async presignGet(key: string, expiresInS: number): Promise<string | undefined> {
    for (const location of this.fallback ? [this.primary, this.fallback] : [this.primary]) {
      if (await this.headIn(location, key)) {
        const command = new GetObjectCommand({ Bucket: location.bucket, Key: key });
        return this.presign((o) => getSignedUrl(location.client, command, o), expiresInS, false);
      }
    }
    return undefined;
  }

  async listObjects(prefix: string): Promise<BlobEntry[]> {
    const entries: BlobEntry[] = [];
    let token: string | undefined;
    do {
      const out = await this.send(() => this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token })));
      for (const o of out.Contents ?? []) if (o.Key) entries.push({ key: o.Key, lastModified: o.LastModified?.getTime() ?? 0 });
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return entries;
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    // One DeleteObject each: there are a handful per account, and DeleteObjects needs a Content-MD5.
    await Promise.all(keys.map(async (key) => {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      } catch (e) {
        if (!NOT_FOUND.has(errorName(e) ?? '')) throw translateAwsError(e, 'blob store');
      }
    }));
  }
}
