// Where the local object store keeps objects: one plain file per object at `<root>/<bucket>/<key>`, so
// `<root>/<bucket>/accounts/<b64>/repo/` is a directory copy of an account's repository (docs/repository.md). A PUT
// streams into a hidden temporary file beside the target (`.<name>.tmp-<random>`) and renames it into place once
// whole, so a reader never sees a partial object; a create-only PUT (`If-None-Match: *`) links it into place
// instead, which fails atomically when the object exists (commitNew). Keys whose path segments are empty or start with '.' are refused,
// so no key names a temporary file or climbs out of the bucket.

import { randomBytes } from 'node:crypto';
import { createWriteStream, type Stats } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { minorGc } from '../../runtime/gc.js';
import { S3Error, type ListedObject } from './xml.js';

const MAX_KEY_BYTES = 1024;

/**
 * A PUT arrives as 64 KiB socket buffers, each a tiny object on the heap holding external memory, so V8 reaches its
 * external-memory limit (and starts full collections of the runtime's large heap, ~5 CPU-s per GiB stored here)
 * long before the young generation fills: a minor collection every EVERY_BYTES of request bodies frees them for
 * well under a millisecond each (runtime/gc.ts; a no-op unless the process opted in, as local/main.ts does).
 */
const GC_EVERY_BYTES = 4 * 1024 * 1024;
let receivedSinceGc = 0;
function received(bytes: number): void {
  receivedSinceGc += bytes;
  if (receivedSinceGc < GC_EVERY_BYTES) return;
  receivedSinceGc = 0;
  minorGc();
}

export function checkKey(key: string): void {
  const segments = key.split('/');
  if (key === '' || Buffer.byteLength(key) > MAX_KEY_BYTES || key.includes('\0') || segments.some((s) => s === '' || s.startsWith('.'))) {
    throw new S3Error(400, 'InvalidArgument', 'this object store takes keys of non-empty segments not starting with "."', key);
  }
}

export const objectPath = (bucketDir: string, key: string) => join(bucketDir, ...key.split('/'));

export const etagOf = (s: Stats) => `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;

/** Stats of the object's file; undefined when there is none (or a directory is there). */
export async function statObject(path: string): Promise<Stats | undefined> {
  const s = await stat(path).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw e;
  });
  return s?.isFile() ? s : undefined;
}

/**
 * Buffers a GET reads the file into, reused once the socket has taken them: a fresh buffer per read (what
 * createReadStream does) is external memory that the runtime's big heap then pays for in full collections.
 */
const SEND_BUFFER_BYTES = 1 << 20;
const sendBuffers: Buffer[] = [];
const KEEP_SEND_BUFFERS = 16;

/**
 * Writes bytes [start, end] of the file at `path` to `out` (a response whose headers are set) and ends it. A
 * read error or a file shorter than that destroys `out` (the client sees a short body, never a wrong one); a
 * closed `out` stops the reading.
 */
export async function sendRange(path: string, start: number, end: number, out: Writable): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
    let pos = start;
    while (pos <= end && !out.destroyed) {
      const buf = sendBuffers.pop() ?? Buffer.allocUnsafeSlow(SEND_BUFFER_BYTES);
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, end - pos + 1), pos);
      if (bytesRead === 0) throw new Error('object shorter than its size');
      pos += bytesRead;
      const room = out.write(buf.subarray(0, bytesRead), () => {
        if (sendBuffers.length < KEEP_SEND_BUFFERS) sendBuffers.push(buf);
      });
      if (!room && !out.destroyed) {
        await new Promise<void>((resolve) => {
          const done = () => {
            out.off('drain', done);
            out.off('close', done);
            resolve();
          };
          out.on('drain', done);
          out.on('close', done);
        });
      }
    }
    out.end();
  } catch {
    out.destroy();
  } finally {
    await fh?.close();
  }
}

/**
 * Streams the request body into a temporary file beside `path` and returns it with its length; the caller renames
 * it into place or removes it. A write error stops writing but keeps reading the request (so it still gets an
 * answer); an aborted request rejects. `observe` sees every chunk (a hash of the body, checked before the rename).
 */
export async function writeAside(path: string, req: Readable & { complete?: boolean }, observe?: (chunk: Buffer) => void): Promise<{ tmp: string; size: number }> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  try {
    const size = await new Promise<number>((resolve, reject) => {
      const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 });
      out.once('error', (e) => {
        req.unpipe(out);
        req.resume();
        reject(e);
      });
      req.once('error', (e) => {
        out.destroy();
        reject(e);
      });
      req.once('close', () => {
        if (req.complete === false) {
          out.destroy();
          reject(new S3Error(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.'));
        }
      });
      out.once('finish', () => resolve(out.bytesWritten));
      req.on('data', (c: Buffer) => {
        received(c.length);
        observe?.(c);
      });
      req.pipe(out);
    });
    return { tmp, size };
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function commit(tmp: string, path: string): Promise<void> {
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).code === 'EISDIR' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      throw new S3Error(400, 'InvalidArgument', 'the key conflicts with another key\'s path');
    }
    throw e;
  }
}

/**
 * Puts `tmp` in place at `path` only if nothing is there (S3's `If-None-Match: *`): a hard link is created or
 * fails with EEXIST atomically, so of two racing writers exactly one wins and an existing object is never
 * replaced; 412 PreconditionFailed otherwise. `tmp` is removed either way.
 */
export async function commitNew(tmp: string, path: string, key: string): Promise<void> {
  try {
    await link(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new S3Error(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', key);
    if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EPERM') throw new S3Error(400, 'InvalidArgument', 'the key conflicts with another key\'s path');
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * The objects under `bucketDir` whose keys start with `prefix` and sort after `after`, in S3's key order (UTF-8
 * bytes; a directory sorts as its name plus '/'), at most `limit` + 1 (so the caller knows if there are more).
 */
export async function listObjects(bucketDir: string, prefix: string, after: string, limit: number): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  const cmp = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  async function walk(dir: string, keyPrefix: string): Promise<boolean> {
    const entries = await readdir(dir, { withFileTypes: true }).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return [];
      throw e;
    });
    const named = entries.filter((e) => !e.name.startsWith('.') && (e.isDirectory() || e.isFile()))
      .map((e) => ({ name: e.name, key: keyPrefix + e.name + (e.isDirectory() ? '/' : ''), dir: e.isDirectory() }))
      .sort((a, b) => cmp(a.key, b.key));
    for (const e of named) {
      if (e.dir) {
        if (!e.key.startsWith(prefix) && !prefix.startsWith(e.key)) continue;
        if (cmp(e.key, after) < 0 && !after.startsWith(e.key)) continue;
        if (!(await walk(join(dir, e.name), e.key))) return false;
      } else {
        if (!e.key.startsWith(prefix) || cmp(e.key, after) <= 0) continue;
        const s = await statObject(join(dir, e.name));
        if (!s) continue;
        out.push({ key: e.key, size: s.size, mtimeMs: s.mtimeMs, etag: etagOf(s) });
        if (out.length > limit) return false;
      }
    }
    return true;
  }
  // Start in the deepest directory the prefix names whole (an account's type directory, not the whole bucket).
  const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const safe = base.split('/').slice(0, -1).every((s) => s !== '' && !s.startsWith('.'));
  await (safe && base !== '' ? walk(join(bucketDir, ...base.split('/').slice(0, -1)), base) : walk(bucketDir, ''));
  return out;
}
