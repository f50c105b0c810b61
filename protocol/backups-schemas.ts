// Wire schemas (zod) and limits of the storage API (`/v1/backups`), shared by the handlers (requests) and the
// client SDK (answers). Blobs never pass through the API: the server answers presigned S3 URLs (docs/protocol.md,
// "Storage API"). Times are ISO-8601 UTC strings with milliseconds (`2025-01-31T12:00:00.000Z`).

import * as z from 'zod';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * Backup ids: a lowercase ULID, 26 characters of Crockford base32 (`0-9a-z` without `i l o u`); the first 10
 * encode the creation time in ms, so ids sort by creation time; the last 16 are 80 random bits.
 */
export const BACKUP_ID_PATTERN = /^[0-7][0-9a-hjkmnp-tv-z]{25}$/;
export const BACKUP_ID_LENGTH = 26;
/** `GET /v1/backups/latest` names the newest committed backup. */
export const LATEST = 'latest';

/** Part size floor; every part but the last has exactly `partSize` bytes. */
export const MIN_PART_SIZE = 8 * MiB;
/**
 * The server picks the part size so that an upload never has more parts than this (S3 allows 10 000): the
 * `complete` body must stay under the 64 KiB body limit (~65 bytes a part) and the `create` answer small.
 */
export const MAX_PARTS = 800;
/** S3 bounds on a part (all but the last) and on an object. */
export const S3_MIN_PART_SIZE = 5 * MiB;
export const S3_MAX_PART_SIZE = 5 * GiB;
export const S3_MAX_OBJECT_SIZE = 5 * 1024 * GiB;
/** Largest maximum backup size a deployment may set: MAX_PARTS parts of at most 5 GiB. */
export const MAX_CONFIGURABLE_BACKUP_BYTES = MAX_PARTS * S3_MAX_PART_SIZE;

/** Deployment defaults: largest backup (413 above), committed backups kept, presigned URL lifetime. */
export const DEFAULT_MAX_BACKUP_BYTES = 50 * GiB;
export const DEFAULT_BACKUP_RETENTION = 3;
export const DEFAULT_URL_TTL_SECONDS = 3600;
/** A pending upload may still be completed this long after its URLs expired (last parts still in flight). */
export const COMPLETE_GRACE_MS = 15 * 60_000;

/**
 * The part size for a backup of `size` bytes: the smallest multiple of 1 MiB that is at least 8 MiB and keeps
 * the part count at or under MAX_PARTS (50 GiB: 64 MiB parts). A backup of at most one part is a single PUT.
 */
export function partSizeFor(size: number): number {
  const needed = Math.ceil(size / MAX_PARTS);
  return Math.max(MIN_PART_SIZE, Math.ceil(needed / MiB) * MiB);
}

/** Number of parts of a backup of `size` bytes (at least 1: an empty backup is one empty PUT). */
export function partCountFor(size: number, partSize = partSizeFor(size)): number {
  return Math.max(1, Math.ceil(size / partSize));
}

export const BackupId = z.string().regex(BACKUP_ID_PATTERN, 'must be a backup id');
/** Path parameter of `GET /v1/backups/{backupId}`: an id or `latest`. */
export const BackupRef = z.union([BackupId, z.literal(LATEST)]);
export const Timestamp = z.iso.datetime({ precision: 3 });
/** Bytes; the upper bound is the deployment's maximum (413 above), checked by the server. */
export const Size = z.number().min(0, 'must be 0 or more').refine(Number.isInteger, 'must be an integer');
export const PartNumber = z.number().int().min(1).max(MAX_PARTS);
/** The ETag header S3 answered to the part's PUT, passed back verbatim (quotes included or not). */
export const ETag = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be the etag header of the part');

export const CreateBackupRequest = z.strictObject({ size: Size });
export const CreateBackupResponse = z.object({
  backupId: BackupId,
  partSize: z.number().int().min(1),
  /** PUT each part's bytes to its url; parts are 1..n, all `partSize` bytes but the last. */
  parts: z.array(z.object({ partNumber: PartNumber, url: z.url() })).min(1).max(MAX_PARTS),
  /** When the URLs stop working. */
  expiresAt: Timestamp,
});

export const CompleteBackupRequest = z.strictObject({
  parts: z.array(z.strictObject({ partNumber: PartNumber, etag: ETag })).min(1).max(MAX_PARTS),
});

export const BackupInfo = z.object({ backupId: BackupId, size: z.number().int().min(0), createdAt: Timestamp });
export const CompleteBackupResponse = BackupInfo;

/** Committed backups only, newest first. */
export const ListBackupsResponse = z.object({ backups: z.array(BackupInfo) });

export const GetBackupResponse = BackupInfo.extend({ downloadUrl: z.url() });

export type BackupInfo = z.infer<typeof BackupInfo>;
export type CreateBackupResult = z.infer<typeof CreateBackupResponse>;
export type GetBackupResult = z.infer<typeof GetBackupResponse>;
