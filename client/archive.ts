// Archive: a directory to a tar stream of exactly known length, and a tar stream back to a directory.
//
// Packing walks the tree once (lstat, never following symlinks), keeps a small record per entry and computes the
// exact byte length of the tar stream (ustar headers from the `tar` package, pax headers where a field does not
// fit, 512-byte padding, two zero blocks at the end), so the encrypted size is known before the upload starts.
// Entries are portable: relative paths, permission bits, whole-second mtimes, no owners; files, directories and
// symlinks only (sockets, fifos and devices are skipped with a warning; hard links are stored as plain files).
// A file that changes length while it is read is cut or zero-padded to its scanned length, with a warning, as GNU
// tar does, so the stream length never changes.
//
// Extracting goes into a fresh temporary directory beside the target, through `tar`'s Parser in strict mode and
// our own writer: absolute paths, `..` segments, hard links, device entries, paths through symlinks, duplicates
// and symlinks resolving outside the target are refused and fail the whole restore. The result is renamed into place only after the caller's whole
// pipeline (download → decrypt → extract) finished; on any failure the temporary directory is removed and the
// target is left as it was.

import { constants as fsc } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, open, readdir, readlink, rename, rm, stat, symlink, utimes, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { Header, Parser, Pax, type ReadEntry } from 'tar';
import { ClientError, fileSystemError, isClientError } from './errors.js';
import { BkvError } from '../protocol/errors.js';

type EntryType = 'File' | 'Directory' | 'SymbolicLink';

interface Entry {
  /** Relative posix path inside the archive (directories end with `/`). */
  path: string;
  type: EntryType;
  mode: number;
  size: number;
  mtime: Date;
  linkpath?: string;
}

export interface PackStats {
  files: number;
  directories: number;
  symlinks: number;
  /** Bytes of file content. */
  bytes: number;
}

export type Warn = (message: string) => void;

export interface PackedDirectory {
  /** Exact length of the tar stream `stream()` produces. */
  size: number;
  stats: PackStats;
  /** Entries the walk skipped (sockets, fifos, devices), already reported through `warn`. */
  skipped: number;
  /** A fresh tar stream of the scanned tree; each call reads the files again. */
  stream(warn?: Warn): Readable;
}

const BLOCK = 512;
const TRAILER = 2 * BLOCK;
/** Size of the buffers the tar stream is built in and handed downstream. */
const SLAB = 1024 * 1024;

const pad512 = (n: number) => Math.ceil(n / BLOCK) * BLOCK;

/** The header blocks of an entry: an optional pax extended header, then the ustar header. */
function headerBytes(e: Entry): Buffer {
  const data = { path: e.path, mode: e.mode, size: e.type === 'File' ? e.size : 0, mtime: e.mtime, type: e.type, linkpath: e.linkpath };
  const header = new Header(data);
  const needPax = header.encode();
  if (!header.block) throw new Error('tar header did not encode');
  if (!needPax) return header.block;
  const pax = new Pax({ path: e.path, linkpath: e.linkpath, size: data.size, mtime: e.mtime }).encode();
  return Buffer.concat([pax, header.block]);
}

function entrySize(e: Entry): number {
  return headerBytes(e).length + (e.type === 'File' ? pad512(e.size) : 0);
}

function permissions(mode: number, directory: boolean): number {
  // Keep rwx for user/group/other; owners always keep rwx on directories so the tree can be restored.
  return (mode & 0o777) | (directory ? 0o700 : 0o600);
}

function wholeSeconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Walks `dir` (not following symlinks below it) and returns the plan of its tar stream. */
export async function packDirectory(dir: string, warn: Warn = () => {}): Promise<PackedDirectory> {
  const root = resolve(dir);
  let rootStat;
  try {
    rootStat = await stat(root);
  } catch (e) {
    throw new ClientError('usage', code(e) === 'ENOENT' ? `no such directory: ${dir}` : `cannot read ${dir}: ${code(e) ?? 'error'}`, { path: dir, errno: code(e) ?? 'error' }, { cause: e });
  }
  if (!rootStat.isDirectory()) throw new ClientError('usage', `not a directory: ${dir}`, { path: dir });

  const entries: Entry[] = [];
  const stats: PackStats = { files: 0, directories: 0, symlinks: 0, bytes: 0 };
  let skipped = 0;
  let size = TRAILER;

  async function walk(rel: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(join(root, rel));
    } catch (e) {
      throw new ClientError('usage', `cannot read directory ${rel || '.'}: ${code(e) ?? 'error'}`, { path: join(dir, rel), errno: code(e) ?? 'error' }, { cause: e });
    }
    names.sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const full = join(root, path);
      let st;
      try {
        st = await lstat(full);
      } catch (e) {
        if (code(e) === 'ENOENT') continue; // vanished since readdir
        throw new ClientError('usage', `cannot read ${path}: ${code(e) ?? 'error'}`, { path: join(dir, path), errno: code(e) ?? 'error' }, { cause: e });
      }
      let entry: Entry;
      if (st.isDirectory()) {
        entry = { path: `${path}/`, type: 'Directory', mode: permissions(st.mode, true), size: 0, mtime: wholeSeconds(st.mtime) };
        stats.directories++;
      } else if (st.isFile()) {
        entry = { path, type: 'File', mode: permissions(st.mode, false), size: st.size, mtime: wholeSeconds(st.mtime) };
        stats.files++;
        stats.bytes += st.size;
      } else if (st.isSymbolicLink()) {
        const linkpath = await readlink(full);
        entry = { path, type: 'SymbolicLink', mode: 0o777, size: 0, mtime: wholeSeconds(st.mtime), linkpath };
        stats.symlinks++;
      } else {
        skipped++;
        warn(`skipping ${path}: not a file, directory or symlink`);
        continue;
      }
      entries.push(entry);
      size += entrySize(entry);
      if (entry.type === 'Directory') await walk(path);
    }
  }
  await walk('');

  return {
    size,
    stats,
    skipped,
    stream: (streamWarn = warn) => Readable.from(tarChunks(root, entries, streamWarn), { objectMode: false, highWaterMark: SLAB }),
  };
}

/** Yields the tar stream in slabs of SLAB bytes (the last one shorter); file data is read straight into them. */
async function* tarChunks(root: string, entries: readonly Entry[], warn: Warn): AsyncGenerator<Buffer> {
  let slab = Buffer.allocUnsafeSlow(SLAB);
  let used = 0;

  function* put(bytes: Buffer): Generator<Buffer> {
    let off = 0;
    while (off < bytes.length) {
      const n = bytes.copy(slab, used, off);
      used += n;
      off += n;
      if (used === SLAB) {
        yield slab;
        slab = Buffer.allocUnsafeSlow(SLAB);
        used = 0;
      }
    }
  }

  function* zeros(count: number): Generator<Buffer> {
    while (count > 0) {
      const n = Math.min(count, SLAB - used);
      slab.fill(0, used, used + n);
      used += n;
      count -= n;
      if (used === SLAB) {
        yield slab;
        slab = Buffer.allocUnsafeSlow(SLAB);
        used = 0;
      }
    }
  }

  for (const entry of entries) {
    yield* put(headerBytes(entry));
    if (entry.type !== 'File') continue;
    let fh: FileHandle | undefined;
    try {
      fh = await open(join(root, entry.path), fsc.O_RDONLY | fsc.O_NOFOLLOW);
    } catch (e) {
      if (code(e) !== 'ENOENT') throw new ClientError('usage', `cannot read ${entry.path}: ${code(e) ?? 'error'}`, { path: join(root, entry.path), errno: code(e) ?? 'error' }, { cause: e });
      warn(`${entry.path} vanished during the backup; stored as zeros`);
    }
    let done = 0;
    try {
      while (fh && done < entry.size) {
        const want = Math.min(entry.size - done, SLAB - used);
        const { bytesRead } = await fh.read(slab, used, want, done);
        if (bytesRead === 0) {
          warn(`${entry.path} shrank during the backup; padded with zeros`);
          break;
        }
        used += bytesRead;
        done += bytesRead;
        if (used === SLAB) {
          yield slab;
          slab = Buffer.allocUnsafeSlow(SLAB);
          used = 0;
        }
      }
      if (fh && done === entry.size && (await fh.stat()).size !== entry.size) warn(`${entry.path} changed during the backup; stored as first seen`);
    } finally {
      await fh?.close();
    }
    yield* zeros(pad512(entry.size) - done);
  }
  yield* zeros(TRAILER);
  if (used > 0) yield slab.subarray(0, used);
}

// ---------------------------------------------------------------------------------------------------------------
// Extraction

const ALLOWED_TYPES = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink']);

/** Why `path` may not be extracted, or undefined when it is a plain relative path. */
function badPath(path: string): string | undefined {
  if (path.includes('\0')) return 'contains a nul byte';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.startsWith('\\')) return 'is absolute';
  if (path.split(/[/\\]/).includes('..')) return 'contains ..';
  return undefined;
}

/** Checks one archive entry; returns the reason it is refused, or undefined. */
export function checkEntry(path: string, type: string, linkpath: string | undefined): string | undefined {
  const bad = badPath(path);
  if (bad) return `entry ${JSON.stringify(path)} ${bad}`;
  if (!ALLOWED_TYPES.has(type)) return `entry ${JSON.stringify(path)} has unsupported type ${type}`;
  const clean = posix.normalize(path).replace(/\/+$/, '');
  if ((clean === '.' || clean === '') && type !== 'Directory') return `entry ${JSON.stringify(path)} would replace the target`;
  if (type === 'SymbolicLink') {
    const link = linkpath ?? '';
    if (link === '' || link.includes('\0')) return `symlink ${JSON.stringify(path)} has an empty target`;
    if (link.startsWith('/') || /^[A-Za-z]:/.test(link) || link.startsWith('\\')) return `symlink ${JSON.stringify(path)} points to an absolute path`;
    const target = posix.normalize(posix.join(posix.dirname(clean), link));
    if (target === '..' || target.startsWith('../')) return `symlink ${JSON.stringify(path)} points outside the target`;
  }
  return undefined;
}

/**
 * Resolves the symlink at `rel` inside `root` the way the kernel would, following symlinks component by
 * component, and says whether it ever leaves `root`. Components that do not exist are resolved lexically.
 */
async function symlinkEscapes(root: string, rel: string): Promise<boolean> {
  let hops = 0;
  // Resolve the link's own target relative to its directory, as a list of components from root.
  const start = posix.dirname(rel).split('/').filter((p) => p !== '' && p !== '.');
  let pending = (await readlink(join(root, rel))).split('/');
  const at: string[] = start;
  if (pending[0] === '') return true; // absolute
  while (pending.length > 0) {
    const part = pending.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.length === 0) return true;
      at.pop();
      continue;
    }
    at.push(part);
    let st;
    try {
      st = await lstat(join(root, ...at));
    } catch {
      continue; // does not exist: the rest resolves lexically
    }
    if (st.isSymbolicLink()) {
      if (++hops > 40) return true; // a loop; refuse rather than guess
      const target = await readlink(join(root, ...at));
      if (target.startsWith('/')) return true;
      at.pop();
      pending = [...target.split('/'), ...pending];
    }
  }
  return false;
}

async function* walkSymlinks(root: string, rel = ''): AsyncGenerator<string> {
  for (const d of await readdir(join(root, rel), { withFileTypes: true })) {
    const path = rel === '' ? d.name : `${rel}/${d.name}`;
    if (d.isSymbolicLink()) yield path;
    else if (d.isDirectory()) yield* walkSymlinks(root, path);
  }
}

export interface ExtractOptions {
  /** Replace a non-empty target directory (it is swapped out only after the restore succeeded). */
  force?: boolean;
}

export interface ExtractResult {
  files: number;
  bytes: number;
}

/** Throws unless `target` may receive a restore: missing, an empty directory, or (with `force`) any directory. */
export async function checkTarget(target: string, options: ExtractOptions = {}): Promise<'missing' | 'empty' | 'full'> {
  let st;
  try {
    st = await lstat(target);
  } catch (e) {
    if (code(e) === 'ENOENT') return 'missing';
    throw new ClientError('usage', `cannot use ${target}: ${code(e) ?? 'error'}`, { path: target, errno: code(e) ?? 'error' }, { cause: e });
  }
  if (!st.isDirectory()) throw new ClientError('usage', `${target} exists and is not a directory`, { path: target });
  const empty = (await readdir(target)).length === 0;
  if (!empty && !options.force) throw new ClientError('usage', `${target} is not empty (use --force to replace it)`, { path: target });
  return empty ? 'empty' : 'full';
}

/**
 * A Writable that unpacks a tar stream into the fresh, empty directory `root`, one entry at a time, failing on the
 * first bad entry. Only what this sink created exists under `root`, so it can keep every path honest cheaply:
 * entries are checked (checkEntry), every parent directory is created here and confirmed to be a real directory
 * before anything is written under it (a symlink from the archive is never followed, whatever the file system's
 * case rules), files are created with O_EXCL | O_NOFOLLOW, and a path is never written twice. Parsing is tar's
 * Parser in strict mode; entries are written sequentially with backpressure, so memory stays flat whatever the
 * number of files (tar's Unpack kept ~50 MiB more heap alive on trees of many small files).
 */
function unpackSink(root: string, shown: string, result: ExtractResult): Writable {
  let failure: Error | undefined;
  const dirs = new Set<string>(['']); // relative paths confirmed to be real directories we made
  const written = new Set<string>();
  const dirMeta: { path: string; mode: number; mtime: Date | undefined }[] = [];
  let chain: Promise<void> = Promise.resolve();
  let onFailure: (() => void)[] = [];
  const fail = (e: unknown) => {
    if (failure) return;
    failure = e instanceof BkvError || isClientError(e) ? e
      : new ClientError('unsafe-archive', `unsafe or damaged archive: ${(e as Error).message}`, {}, { cause: e });
    parser.abort(failure);
    const waiting = onFailure;
    onFailure = [];
    for (const wake of waiting) wake();
  };
  /** Resolves on `event` of the parser, or as soon as anything failed. */
  const parserEvent = (event: string) => new Promise<void>((resolveEvent) => {
    if (failure) return resolveEvent();
    onFailure.push(resolveEvent);
    parser.once(event, () => resolveEvent());
  });

  async function ensureDir(rel: string): Promise<void> {
    if (dirs.has(rel)) return;
    const parent = posix.dirname(rel);
    await ensureDir(parent === '.' ? '' : parent);
    const full = join(root, rel);
    try {
      await mkdir(full, { mode: 0o700 });
    } catch (e) {
      if (code(e) !== 'EEXIST') throw e;
    }
    const st = await lstat(full);
    if (!st.isDirectory()) throw new ClientError('unsafe-archive', `unsafe archive: ${JSON.stringify(rel)} is used as a directory but is not one`, { entry: rel });
    dirs.add(rel);
  }

  async function handle(entry: ReadEntry): Promise<void> {
    const reason = checkEntry(entry.path, entry.type, entry.linkpath);
    if (reason !== undefined) throw new ClientError('unsafe-archive', `unsafe archive: ${reason}`, { entry: entry.path });
    const rel = posix.normalize(entry.path).replace(/\/+$/, '').replace(/^\.$/, '');
    const parent = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    if (entry.type === 'Directory') {
      entry.resume();
      if (rel !== '' && !dirs.has(rel) && written.has(rel)) throw new ClientError('unsafe-archive', `unsafe archive: ${JSON.stringify(rel)} appears twice`, { entry: rel });
      await ensureDir(rel);
      dirMeta.push({ path: rel, mode: (entry.mode ?? 0o755) & 0o777, mtime: entry.mtime });
      return;
    }
    if (written.has(rel) || dirs.has(rel)) throw new ClientError('unsafe-archive', `unsafe archive: ${JSON.stringify(rel)} appears twice`, { entry: rel });
    written.add(rel);
    await ensureDir(parent);
    const full = join(root, rel);
    if (entry.type === 'SymbolicLink') {
      entry.resume();
      await symlink(entry.linkpath!, full);
      return;
    }
    const fh = await open(full, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, (entry.mode ?? 0o644) & 0o777);
    try {
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        if (failure) break;
        await fh.write(chunk);
      }
      if (entry.mtime) await fh.utimes(entry.mtime, entry.mtime);
    } finally {
      await fh.close();
    }
    result.files++;
    result.bytes += entry.size ?? 0;
  }

  const parser = new Parser({
    strict: true,
    noResume: true,
    onReadEntry: (entry: ReadEntry) => {
      chain = chain.then(async () => {
        if (failure) entry.resume();
        else await handle(entry).catch((e: unknown) => { throw fileSystemError(e, 'write', join(shown, entry.path)); });
      }).catch(fail);
    },
  });
  parser.on('error', fail);
  let sawEof = false;
  parser.on('eof', () => (sawEof = true));
  const closed = parserEvent('close');

  async function finish(): Promise<void> {
    await closed;
    await chain;
    if (failure) throw failure;
    if (!sawEof) throw new ClientError('unsafe-archive', 'unsafe or damaged archive: it ends before its end blocks');
    // directory modes and times last, deepest first, so writing into them was never blocked
    for (const d of dirMeta.sort((a, b) => b.path.length - a.path.length)) {
      if (d.path === '') continue;
      try {
        await chmod(join(root, d.path), d.mode | 0o700);
        if (d.mtime) await utimes(join(root, d.path), d.mtime, d.mtime);
      } catch (e) {
        throw fileSystemError(e, 'write', join(shown, d.path));
      }
    }
  }

  return new Writable({
    highWaterMark: SLAB,
    write(chunk: Buffer, _enc, cb) {
      if (failure) return cb(failure);
      if (parser.write(chunk)) return cb();
      parserEvent('drain').then(() => cb(failure), cb);
    },
    final(cb) {
      if (failure) return cb(failure);
      parser.end();
      finish().then(() => cb(), cb);
    },
    destroy(err, cb) {
      if (err) fail(err);
      cb(err);
    },
  });
}

/**
 * Restores into `target`: runs `feed(sink)` (the caller's whole download → decrypt pipeline ending in `sink`),
 * extracting into a temporary directory beside the target, checks every symlink of the result, and only then
 * renames it into place. On any failure the temporary directory is removed and the target is untouched.
 */
export async function extractArchive(target: string, feed: (sink: Writable) => Promise<void>, options: ExtractOptions = {}): Promise<ExtractResult> {
  const dest = resolve(target);
  const state = await checkTarget(dest, options);
  const parent = dirname(dest);
  const temp = await mkdir(parent, { recursive: true })
    .then(() => mkdtemp(join(parent, `.${basename(dest)}.bkv-restore-`)))
    .catch((e: unknown) => { throw fileSystemError(e, 'write in', parent); });
  const result: ExtractResult = { files: 0, bytes: 0 };
  let old: string | undefined;
  try {
    await feed(unpackSink(temp, dest, result));
    for await (const link of walkSymlinks(temp)) {
      if (await symlinkEscapes(temp, link)) throw new ClientError('unsafe-archive', `unsafe archive: symlink ${JSON.stringify(link)} points outside the target`, { entry: link });
    }
    const umask = process.umask();
    await chmod(temp, 0o777 & ~umask);
    // The target may have changed while we downloaded: check it again before touching it.
    const now = await checkTarget(dest, options);
    if (now === 'full') {
      old = `${temp}.old`;
      await rename(dest, old);
    } else if (now === 'empty' && state === 'missing') {
      // someone made an empty directory meanwhile; rename replaces an empty directory
    }
    try {
      await rename(temp, dest);
    } catch (e) {
      if (old) await rename(old, dest);
      old = undefined;
      throw fileSystemError(e, 'move the restore into place at', dest);
    }
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
  if (old) await rm(old, { recursive: true, force: true });
  return result;
}
