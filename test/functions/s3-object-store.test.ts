// functions/adapters/s3-object-store.ts with aws-sdk-client-mock: presigned PUTs sign the exact content-length and
// the write-once condition `If-None-Match: *`, and carry no checksum, ListObjectsV2 pages with StartAfter, HeadObject's 404 is "not there", DeleteObjects goes 1000
// keys a call and reports failures, and SDK errors are translated (retryable → 503, the rest → 500).

import {
  DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand, ListObjectsV2Command, ListObjectVersionsCommand, S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { repoS3Client, S3ObjectStore } from '../../functions/adapters/s3-object-store.js';
import { BkvError } from '../../protocol/errors.js';

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

const client = () => repoS3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
const store = () => new S3ObjectStore(client(), 'bucket');
const named = (name: string, message = name) => Object.assign(new Error(message), { name });

describe('S3ObjectStore', () => {
  it('a presigned PUT is create-only: it signs content-length and If-None-Match: *, and nothing that would make S3 refuse the upload', async () => {
    const put = await store().presignPut('accounts/x/repo/data/ab', 1234, 600);
    const url = new URL(put.url);
    expect(url.pathname).toBe('/accounts/x/repo/data/ab');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;host;if-none-match');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('600');
    expect(put.url).not.toMatch(/checksum/i);
    expect(put.headers).toEqual({ 'content-length': '1234', 'if-none-match': '*' });
  });

  it('a presigned GET signs only host', async () => {
    const url = new URL(await store().presignGet('accounts/x/repo/index/cd', 60));
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  it('list passes prefix, StartAfter and MaxKeys and reports truncation', async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'p/a', Size: 3 }, { Key: 'p/b', Size: 4 }, {}], IsTruncated: true });
    const page = await store().list('p/', { startAfter: 'p/0', maxKeys: 2 });
    expect(page).toEqual({ objects: [{ key: 'p/a', size: 3 }, { key: 'p/b', size: 4 }], truncated: true });
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toEqual({ Bucket: 'bucket', Prefix: 'p/', StartAfter: 'p/0', MaxKeys: 2 });
  });

  it('head: the size and time, or undefined when S3 says NotFound', async () => {
    s3.on(HeadObjectCommand, { Key: 'there' }).resolves({ ContentLength: 42, LastModified: new Date(1_000_000) })
      .on(HeadObjectCommand, { Key: 'undated' }).resolves({ ContentLength: 7 })
      .on(HeadObjectCommand, { Key: 'gone' }).rejects(named('NotFound'));
    expect(await store().head('there')).toEqual({ size: 42, lastModified: 1_000_000 });
    expect(await store().head('undated')).toEqual({ size: 7, lastModified: Number.MAX_SAFE_INTEGER });
    expect(await store().head('gone')).toBeUndefined();
  });

  it('deleteObjects: 1000 keys a call, quiet; a missing key is fine; another failure is an error', async () => {
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'k0', Code: 'NoSuchKey' }] });
    await store().deleteObjects(Array.from({ length: 2500 }, (_, i) => `k${i}`));
    const calls = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.Delete?.Objects?.length)).toEqual([1000, 1000, 500]);
    expect(calls.every((c) => c.Delete?.Quiet === true && c.Bucket === 'bucket')).toBe(true);
    s3.reset();
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'k', Code: 'AccessDenied' }] });
    const e = await store().deleteObjects(['k']).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BkvError);
    expect((e as BkvError).code).toBe('internal');
  });

  it.for([['SlowDown', 'unavailable'], ['InternalError', 'unavailable'], ['AccessDenied', 'internal']] as const)(
    'an SDK error %s becomes %s', async ([name, code]) => {
      s3.on(ListObjectsV2Command).rejects(named(name));
      const e = await store().list('p/', { maxKeys: 1 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BkvError);
      expect((e as BkvError).code).toBe(code);
    },
  );

  it('undeletePage removes the delete markers made since the time, only where a version lies under them', async () => {
    const t = (m: number) => new Date(1_000_000 + m);
    s3.on(ListObjectVersionsCommand).resolves({
      IsTruncated: true, NextKeyMarker: 'p/d',
      Versions: [
        { Key: 'p/a', VersionId: 'va', LastModified: t(0) },
        { Key: 'p/b', VersionId: 'vb', LastModified: t(0) },
        { Key: 'p/c', VersionId: 'vc', LastModified: t(0) },
        { Key: 'p/d', VersionId: 'vd', LastModified: t(0) },
      ],
      DeleteMarkers: [
        { Key: 'p/a', VersionId: 'ma', LastModified: t(20), IsLatest: true }, // since: restored
        { Key: 'p/b', VersionId: 'mb', LastModified: t(5), IsLatest: true }, // before since: stays deleted
        { Key: 'p/c', VersionId: 'mc2', LastModified: t(30), IsLatest: true }, // two markers since: both go
        { Key: 'p/c', VersionId: 'mc1', LastModified: t(25), IsLatest: false },
      ],
    });
    s3.on(DeleteObjectCommand).resolves({});
    const r = await store().undeletePage('p/', 1_000_010, 'p/');
    expect(r).toEqual({ restored: ['p/a', 'p/c'], next: 'p/d' });
    expect(s3.commandCalls(ListObjectVersionsCommand)[0]!.args[0].input).toMatchObject({ Bucket: 'bucket', Prefix: 'p/', KeyMarker: 'p/' });
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => `${c.args[0].input.Key}@${c.args[0].input.VersionId}`).sort())
      .toEqual(['p/a@ma', 'p/c@mc1', 'p/c@mc2']);
  });
});
