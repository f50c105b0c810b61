// Wire schemas (zod) and limits of the repository API (`/v1/repo…`, docs/protocol.md "Repository API"), shared by
// the handlers (requests) and the SDK's HttpRepoStore (answers). Object bytes never pass through the API: the
// server answers presigned S3 URLs. Names follow docs/repository.md "Objects": `<type>/<id>`, id = 64 lowercase
// hex digits. Times on the wire are ISO-8601 UTC strings with milliseconds.

import * as z from 'zod';
import { SIGNING_KEY_PATTERN } from './repo-signature.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Every object type; `config` is written only through `POST /v1/repo/config`. */
export const REPO_OBJECT_TYPES = ['config', 'snapshots', 'index', 'data'] as const;
export const UPLOAD_TYPES = ['snapshots', 'index', 'data'] as const;
export const REPO_OBJECT_ID_PATTERN = /^[0-9a-f]{64}$/;
/** Lock ids: 16 random bytes as 32 lowercase hex digits, drawn by the server. */
export const LOCK_ID_PATTERN = /^[0-9a-f]{32}$/;

/** Largest object (a pack holds at most 64 MiB of plaintext, docs/repository.md; age adds 16 bytes a 64 KiB chunk and a header). */
export const MAX_OBJECT_BYTES = 64 * MiB + 64 * 1024;
/** Largest config object. */
export const MAX_CONFIG_BYTES = 64 * 1024;
export const MAX_UPLOADS_PER_REQUEST = 100;
export const MAX_DOWNLOADS_PER_REQUEST = 1000;
export const MAX_DELETES_PER_REQUEST = 1000;
export const MAX_LIST_LIMIT = 1000;
/**
 * What a client takes from one listing of one type (docs/repository.md "Limits"): a million objects (~12 TiB of
 * 12 MiB packs, 240 times the default quota) in at most 10,000 pages (a server may answer short pages, not empty
 * ones forever).
 */
export const MAX_LIST_OBJECTS = 1_000_000;
export const MAX_LIST_PAGES = 10_000;
/** Lock lifetimes (seconds). */
export const MIN_LOCK_TTL_S = 30;
export const MAX_LOCK_TTL_S = 3600;
/**
 * The one lock lease: what the server gives a lock asked without `ttlSeconds`, and what bkv's client asks for
 * (refreshing every third of it), so a lock whose holder was killed ends within about two minutes (README `bkv unlock`).
 */
export const DEFAULT_LOCK_TTL_S = 120;
export const MAX_LOCK_DESCRIPTION = 200;
/**
 * Longest total life of a lock, refreshes included (docs/protocol.md "Locks"): a refresh that can extend it no
 * further is `409 lock-lost`. An exclusive lock (forget, prune) shuts every backup out, so it lives a day at most;
 * a shared one (a backup, which may run for days over a slow line) blocks only forget and prune.
 */
export const MAX_EXCLUSIVE_LOCK_LIFE_S = 24 * 3600;
export const MAX_SHARED_LOCK_LIFE_S = 7 * 24 * 3600;
/** Live locks an account may hold at once (they live in one DynamoDB item). */
export const MAX_LOCKS = 64;
/** Deployment default of the per-account quota. */
export const DEFAULT_REPO_QUOTA_BYTES = 50 * GiB;
/** Lifetime of presigned URLs handed out by the repository routes. */
export const REPO_URL_TTL_SECONDS = 3600;

export const ObjectType = z.enum(REPO_OBJECT_TYPES);
export const UploadType = z.enum(UPLOAD_TYPES);
export const ObjectId = z.string().regex(REPO_OBJECT_ID_PATTERN, 'must be 64 lowercase hex digits');
export const LockId = z.string().regex(LOCK_ID_PATTERN, 'must be a lock id');
export const Timestamp = z.iso.datetime({ precision: 3 });
const Bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const ObjectNameSchema = z.strictObject({ type: ObjectType, id: ObjectId });
export type WireObjectName = z.infer<typeof ObjectNameSchema>;

/** Names must be unique within a request. */
function unique<T extends { type: string; id: string }>(list: T[]): boolean {
  return new Set(list.map((o) => `${o.type}/${o.id}`)).size === list.length;
}

/** An Ed25519 public key, base64url of its 32 bytes (protocol/repo-signature.ts). */
export const SigningKey = z.string().regex(SIGNING_KEY_PATTERN, 'must be an ed25519 public key (base64url)');

/**
 * `signingKey`: the public key mutating requests must be signed with, or null before one is registered. `locks`:
 * the live locks (a lock id is of no use without K: refresh, unlock and delete are signed).
 */
export const RepoStatusResponse = z.object({
  repositoryId: ObjectId.nullable(), usedBytes: Bytes, quotaBytes: Bytes, signingKey: SigningKey.nullable().optional(),
  locks: z.array(z.object({
    lockId: z.string().regex(LOCK_ID_PATTERN), exclusive: z.boolean(), expiresAt: Timestamp, description: z.string().max(MAX_LOCK_DESCRIPTION).optional(),
  })).max(MAX_LOCKS).optional(),
});

/**
 * Creates the config and registers the signing key (both create-only); `{ signingKey }` alone registers the key of
 * an account whose repository has none yet (a repository made before keys were registered).
 */
export const CreateConfigRequest = z.union([
  z.strictObject({ repositoryId: ObjectId, size: z.number().int().min(1).max(MAX_CONFIG_BYTES), signingKey: SigningKey }),
  z.strictObject({ signingKey: SigningKey }),
]);
export const RegisterKeyResponse = z.object({ signingKey: SigningKey });
/** A presigned PUT: send exactly these headers (they are signed) and a body of exactly the declared size. */
export const PresignedPut = z.object({ url: z.url(), headers: z.record(z.string(), z.string()), expiresAt: Timestamp });

export const UploadsRequest = z.strictObject({
  objects: z.array(z.strictObject({ type: UploadType, id: ObjectId, size: z.number().int().min(1).max(MAX_OBJECT_BYTES) }))
    .min(1).max(MAX_UPLOADS_PER_REQUEST).refine(unique, 'must not name an object twice'),
});
export const UploadsResponse = z.object({
  uploads: z.array(z.object({ type: ObjectType, id: ObjectId, url: z.url(), headers: z.record(z.string(), z.string()) })),
  expiresAt: Timestamp,
});

export const DownloadsRequest = z.strictObject({
  objects: z.array(ObjectNameSchema).min(1).max(MAX_DOWNLOADS_PER_REQUEST).refine(unique, 'must not name an object twice'),
});
export const DownloadsResponse = z.object({
  downloads: z.array(z.object({ type: ObjectType, id: ObjectId, url: z.url() })),
  expiresAt: Timestamp,
});

export const ListResponse = z.object({
  objects: z.array(z.object({ type: ObjectType, id: ObjectId, size: Bytes })),
  next: ObjectId.optional(),
});

export const DeleteRequest = z.strictObject({
  lockId: LockId,
  objects: z.array(ObjectNameSchema).min(1).max(MAX_DELETES_PER_REQUEST).refine(unique, 'must not name an object twice'),
});
export const DeleteResponse = z.object({ deleted: z.array(ObjectNameSchema), missing: z.array(ObjectNameSchema) });

/** Where the next page of an undelete starts: the last object name of the page (`<type>/<id>`). */
export const UndeleteMarker = z.string().regex(/^(config|snapshots|index|data)\/[0-9a-f]{64}$/, 'must be an object name');
/** Undo deletions made at or after `since` (at most the retention ago), under an exclusive lock; one page a call. */
export const UndeleteRequest = z.strictObject({
  lockId: LockId, since: Timestamp, after: UndeleteMarker.optional(),
  /** Only objects of this type (paged like all). */
  type: ObjectType.optional(),
  /** Only these objects (one answer, no `next`); not with `type` or `after`. */
  objects: z.array(ObjectNameSchema).min(1).max(MAX_DELETES_PER_REQUEST).refine(unique, 'must not name an object twice').optional(),
}).refine((r) => r.objects === undefined || (r.type === undefined && r.after === undefined), 'objects: not with type or after');
export const UndeleteResponse = z.object({ restored: z.array(ObjectNameSchema), next: UndeleteMarker.optional() });

/** Printable ASCII and printable Unicode (no control characters). */
const PRINTABLE = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u;
export const LockRequestSchema = z.strictObject({
  exclusive: z.boolean(),
  ttlSeconds: z.number().int().min(MIN_LOCK_TTL_S).max(MAX_LOCK_TTL_S).optional(),
  description: z.string().max(MAX_LOCK_DESCRIPTION).regex(PRINTABLE, 'must be printable').optional(),
});
export const LockResponse = z.object({ lockId: LockId, exclusive: z.boolean(), expiresAt: Timestamp });
