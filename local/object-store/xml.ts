// The S3 XML the local object store speaks (docs: S3 API Reference, "Error responses", ListObjectsV2,
// DeleteObjects): error documents, ListBucketResult, DeleteResult, and the one request body it reads (Delete).

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export const xmlEscape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function xmlUnescape(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e] ?? m;
  });
}

const HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n';
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

/** An S3 error: its HTTP status, stable code and message (the XML document follows S3's). */
export class S3Error extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly key?: string) {
    super(message);
  }

  toXml(requestId: string): string {
    return `${HEAD}<Error><Code>${this.code}</Code><Message>${xmlEscape(this.message)}</Message>`
      + `${this.key !== undefined ? `<Key>${xmlEscape(this.key)}</Key>` : ''}<RequestId>${requestId}</RequestId></Error>`;
  }
}

export interface ListedObject {
  key: string;
  size: number;
  mtimeMs: number;
  etag: string;
}

export interface ListResult {
  bucket: string;
  prefix: string;
  startAfter?: string;
  continuationToken?: string;
  nextContinuationToken?: string;
  maxKeys: number;
  truncated: boolean;
  objects: ListedObject[];
  encode: (key: string) => string;
}

export function listBucketResult(r: ListResult): string {
  const contents = r.objects.map((o) => `<Contents><Key>${xmlEscape(r.encode(o.key))}</Key><LastModified>${new Date(o.mtimeMs).toISOString()}</LastModified>`
    + `<ETag>${xmlEscape(o.etag)}</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`).join('');
  return `${HEAD}<ListBucketResult ${NS}><Name>${xmlEscape(r.bucket)}</Name><Prefix>${xmlEscape(r.encode(r.prefix))}</Prefix>`
    + (r.startAfter !== undefined ? `<StartAfter>${xmlEscape(r.encode(r.startAfter))}</StartAfter>` : '')
    + (r.continuationToken !== undefined ? `<ContinuationToken>${xmlEscape(r.continuationToken)}</ContinuationToken>` : '')
    + `<KeyCount>${r.objects.length}</KeyCount><MaxKeys>${r.maxKeys}</MaxKeys><IsTruncated>${r.truncated}</IsTruncated>`
    + (r.nextContinuationToken !== undefined ? `<NextContinuationToken>${xmlEscape(r.nextContinuationToken)}</NextContinuationToken>` : '')
    + `${contents}</ListBucketResult>`;
}

/** The keys and the Quiet flag of a DeleteObjects body; throws MalformedXML when it is not one. */
export function parseDeleteRequest(body: string): { keys: string[]; quiet: boolean } {
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<Delete[\s>]/.test(body) || !/<\/Delete>\s*$/.test(body)) {
    throw new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
  const keys = [...body.matchAll(/<Object>\s*<Key>([\s\S]*?)<\/Key>[\s\S]*?<\/Object>/g)].map((m) => xmlUnescape(m[1] ?? ''));
  if (keys.length === 0 || keys.length > 1000) {
    throw new S3Error(400, 'MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.');
  }
  return { keys, quiet: /<Quiet>\s*true\s*<\/Quiet>/i.test(body) };
}

export function deleteResult(deleted: readonly string[]): string {
  return `${HEAD}<DeleteResult ${NS}>${deleted.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('')}</DeleteResult>`;
}

export interface VersionEntry {
  key: string;
  versionId: string;
  latest: boolean;
  mtimeMs: number;
  /** A delete marker has no size or etag. */
  object?: { size: number; etag: string };
}

/** ListVersionsResult (ListObjectVersions), paged by key only (every version of a key is on one page). */
export function listVersionsResult(r: { bucket: string; prefix: string; keyMarker: string; maxKeys: number; nextKeyMarker?: string; entries: VersionEntry[] }): string {
  const body = r.entries.map((e) => e.object
    ? `<Version><Key>${xmlEscape(e.key)}</Key><VersionId>${e.versionId}</VersionId><IsLatest>${e.latest}</IsLatest>`
      + `<LastModified>${new Date(e.mtimeMs).toISOString()}</LastModified><ETag>${xmlEscape(e.object.etag)}</ETag><Size>${e.object.size}</Size>`
      + '<StorageClass>STANDARD</StorageClass></Version>'
    : `<DeleteMarker><Key>${xmlEscape(e.key)}</Key><VersionId>${e.versionId}</VersionId><IsLatest>${e.latest}</IsLatest>`
      + `<LastModified>${new Date(e.mtimeMs).toISOString()}</LastModified></DeleteMarker>`).join('');
  return `${HEAD}<ListVersionsResult ${NS}><Name>${xmlEscape(r.bucket)}</Name><Prefix>${xmlEscape(r.prefix)}</Prefix>`
    + `<KeyMarker>${xmlEscape(r.keyMarker)}</KeyMarker><VersionIdMarker></VersionIdMarker><MaxKeys>${r.maxKeys}</MaxKeys>`
    + `<IsTruncated>${r.nextKeyMarker !== undefined}</IsTruncated>`
    + (r.nextKeyMarker !== undefined ? `<NextKeyMarker>${xmlEscape(r.nextKeyMarker)}</NextKeyMarker>` : '')
    + `${body}</ListVersionsResult>`;
}
