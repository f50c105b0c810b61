// Deferred deletion in the local object store, the file-backed counterpart of a versioned S3 bucket with
// noncurrent-version expiration (docs/repository.md "Deleted objects"): a deleted object's file is renamed
// (atomically, same file system) into a trash beside the bucket, `<root>/.trash-<bucket>/<key>/.v-<deletedAtMs>-<r>`,
// where it stays for the retention (default 30 days; BKV_DELETED_RETENTION_DAYS) and is purged lazily (at most
// once an hour, on the next delete or version listing). ListObjectVersions shows each trashed file as S3 would:
// a delete marker at the deletion time over a noncurrent version; deleting that marker (DeleteObject with its
// versionId) puts the file back under its key, create-only (an object already there is left as it is).
// The trash is outside the bucket directory, so a listing never sees it and no key can name it.

import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { etagOf, objectPath, statObject } from './files.js';

const DAY_MS = 86_400_000;
const PURGE_EVERY_MS = 3_600_000;
const VERSION = /^\.v-(\d{1,15})-([0-9a-f]{12})$/;

export interface TrashedVersion {
  key: string;
  /** The delete marker's id ('d' + the trash file's name part) and the noncurrent version's ('v' + the same). */
  markerId: string;
  versionId: string;
  deletedAt: number;
  size: number;
  mtimeMs: number;
  etag: string;
}

export interface KeyVersions {
  key: string;
  /** The live object, if any (S3's current version). */
  live?: { size: number; mtimeMs: number; etag: string };
  /** Trashed versions, newest deletion first. */
  trashed: TrashedVersion[];
}

export class Trash {
  private lastPurge = 0;

  constructor(private readonly bucketDir: string, private readonly trashDir: string, private readonly retentionDays: number,
    private readonly now: () => number = Date.now) {}

  /** Moves the object's file into the trash; a key with no object is nothing to do. */
  async put(key: string): Promise<void> {
    const from = objectPath(this.bucketDir, key);
    if (!(await statObject(from))) return;
    const deletedAt = this.now();
    const dir = objectPath(this.trashDir, key);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await rename(from, join(dir, `.v-${deletedAt}-${randomBytes(6).toString('hex')}`)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e; // deleted by another request meanwhile
    });
    await this.purgeLazily();
  }

  /** Puts the trashed version of the marker `markerId` back under `key`, create-only; false if there is no such marker. */
  async restore(key: string, markerId: string): Promise<boolean> {
    const m = /^d(\d{1,15}-[0-9a-f]{12})$/.exec(markerId);
    if (!m) return false;
    const file = join(objectPath(this.trashDir, key), `.v-${m[1]}`);
    if (!(await statObject(file))) return false;
    const to = objectPath(this.bucketDir, key);
    await mkdir(dirname(to), { recursive: true, mode: 0o700 });
    try {
      await link(file, to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return true; // the object is there: write-once names, so it is this one; the trashed copy stays until purged
    }
    await rm(file, { force: true });
    return true;
  }

  /** Keys under `prefix` after `keyMarker` that have trashed versions, in key order, at most `limit` + 1. */
  async versions(prefix: string, keyMarker: string, limit: number): Promise<KeyVersions[]> {
    await this.purgeLazily();
    const keys: string[] = [];
    const cmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    const walk = async (dir: string, keyPrefix: string): Promise<boolean> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      const names = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort((a, b) => cmp(a, b));
      if (keyPrefix !== '' && entries.some((e) => e.isFile() && VERSION.test(e.name))) {
        const key = keyPrefix.slice(0, -1);
        if (key.startsWith(prefix) && cmp(key, keyMarker) > 0) {
          keys.push(key);
          if (keys.length > limit) return false;
        }
      }
      for (const name of names) {
        const k = `${keyPrefix}${name}/`;
        if (!k.startsWith(prefix) && !prefix.startsWith(k)) continue;
        if (!(await walk(join(dir, name), k))) return false;
      }
      return true;
    };
    await walk(this.trashDir, '');
    const out: KeyVersions[] = [];
    for (const key of keys) {
      const live = await statObject(objectPath(this.bucketDir, key));
      out.push({ key, ...(live ? { live: { size: live.size, mtimeMs: live.mtimeMs, etag: etagOf(live) } } : {}), trashed: await this.trashed(key) });
    }
    return out;
  }

  private async trashed(key: string): Promise<TrashedVersion[]> {
    const dir = objectPath(this.trashDir, key);
    const out: TrashedVersion[] = [];
    for (const name of await readdir(dir).catch(() => [])) {
      const m = VERSION.exec(name);
      if (!m) continue;
      const s = await statObject(join(dir, name));
      if (!s) continue;
      const id = `${m[1]}-${m[2]}`;
      out.push({ key, markerId: `d${id}`, versionId: `v${id}`, deletedAt: Number(m[1]), size: s.size, mtimeMs: s.mtimeMs, etag: etagOf(s) });
    }
    return out.sort((a, b) => b.deletedAt - a.deletedAt);
  }

  /** Removes trashed versions older than the retention; runs at most once an hour. */
  async purgeLazily(force = false): Promise<number> {
    const now = this.now();
    if (!force && now - this.lastPurge < PURGE_EVERY_MS) return 0;
    this.lastPurge = now;
    const cutoff = now - this.retentionDays * DAY_MS;
    let purged = 0;
    const walk = async (dir: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const m = VERSION.exec(e.name);
        if (e.isFile() && m && Number(m[1]) < cutoff) {
          await rm(join(dir, e.name), { force: true });
          purged++;
        } else if (e.isDirectory()) await walk(join(dir, e.name));
      }
    };
    if (await stat(this.trashDir).catch(() => undefined)) await walk(this.trashDir);
    return purged;
  }
}
