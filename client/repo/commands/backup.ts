// `backup`: one snapshot of some paths (docs/repository.md "Snapshots", "Trees", "Packs", "Index"). The walk
// uses lstat and never follows a symlink; a file unchanged since the parent snapshot (same size, mtime, ctime
// and inode, and its chunks still indexed) keeps its content list without being read. Other files are read in
// large pieces and handed to the blob workers (chunk → HMAC blob id → compression when it pays), the main
// thread drops known blobs, appends new ones to a pack (a slab shared with the workers), and a worker seals each
// full pack straight into its upload, a few at a time behind the hashing (direct.js: pack bytes never come back
// to this thread). An index object is written every 16 packs or 30 s and at the end, and the
// snapshot last, while a shared lock (refreshed every ttl/3) is still held: an aborted or failed backup commits
// no snapshot, and the packs it stored are found through its index objects and reused next time.
//
// An unreadable file is skipped with a warning naming it and the snapshot is marked incomplete; a file that
// changes while it is read is reported (what was read is stored). Hard links are found by inode and read once.

import { closeSync, fstatSync, constants as fsc, lstatSync, openSync, readSync, readdirSync, readlinkSync, statSync, type BigIntStats } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { copyWithinInto } from '../blobs/arena.js';
import { capYoungGeneration } from '../blobs/gc.js';
import { MAX_CHUNK_LIMIT } from '../blobs/chunker.js';
import { MAX_SNAPSHOT_ENTRIES, MAX_TREE_BLOB_BYTES } from '../limits.js';
import { Excluder, type ExcludeOptions } from '../fs/exclude.js';
import { withLock, type HeldLock } from '../storage/lock.js';
import { encodeJson, encryptObject, newId } from '../objects.js';
import { BlobWriter } from '../packs/blob-writer.js';
import type { Repository } from '../repository.js';
import { groupKey, newestFirst, type Skipped, type Snapshot, type SnapshotSummary } from '../snapshot.js';
import { type DirNode, type FileNode, type SpecialNode, type Tree, type TreeNode, encodeTree, isSafeName, sortNodes } from '../tree.js';
import { XATTRS_UNAVAILABLE, readXattrs, xattrsAvailable } from '../fs/xattrs.js';
import { ClientError, fileSystemError } from '../../errors.js';

export interface BackupProgress {
  files: number;
  dirs: number;
  /** File bytes processed (read, or unchanged since the parent). */
  bytes: number;
  /** Bytes of new blobs so far (before compression). */
  newBytes: number;
  uploadedBytes: number;
  /** Set once the walk is done: the total of `bytes`. */
  totalBytes?: number;
}

export interface BackupWarning {
  path: string;
  message: string;
  kind: 'skipped' | 'changed' | 'unsupported';
}

export interface BackupOptions extends ExcludeOptions {
  paths: readonly string[];
  /**
   * Back up a stream instead of paths (`bkv backup --stdin`): its bytes become one file `name` at the snapshot's
   * root, chunked and deduplicated like any file; the snapshot's path is `/<name>`. `paths` must be empty.
   */
  stdin?: { name: string; fd?: number };
  tags?: readonly string[];
  oneFileSystem?: boolean;
  host?: string;
  user?: string;
  /** The snapshot to compare with (default: the newest of the same host and paths; null: none). */
  parent?: string | null;
  signal?: AbortSignal;
  onProgress?: (p: BackupProgress) => void;
  onWarning?: (w: BackupWarning) => void;
  /** Packs sealed or uploading at once (default 2). */
  uploads?: number;
  /** Lifetime of the shared lock, refreshed every third of it (default 120 s). */
  lockTtlSeconds?: number;
  /**
   * Holds V8's young generation at 4 MiB semispaces once it reached them (gc.js capYoungGeneration): ~16 MiB less
   * peak memory in a 1 GiB backup at the same speed, but through a V8 flag of the whole process, so only for a
   * process of its own, such as the `bkv` CLI (default false: an app embedding the SDK keeps its heap as it is).
   */
  capYoungGeneration?: boolean;
  /** Test hook: called before a file is opened for reading. */
  beforeRead?: (path: string) => void;
}

export interface BackupResult {
  snapshot: Snapshot;
  warnings: BackupWarning[];
  /** Milliseconds per phase (benchmarks). */
  timings: { total: number };
}

const SMALL_FILE = 1024 * 1024;
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_FILES = 256;
/** A batch's buffer: its files and a byte each to see one grow. */
const BATCH_CAPACITY = BATCH_BYTES + SMALL_FILE + 1;
/** Bytes of a large file read at once: a window holds any chunk a repository may name (MAX_CHUNK_LIMIT). */
const WINDOW = MAX_CHUNK_LIMIT;
/** File bytes read but not yet packed, across all files. */
const READ_BUDGET = 16 * 1024 * 1024;
/** The main thread's young generation stops growing at semispaces of this size (gc.js capYoungGeneration). */
const YOUNG_SEMI_BYTES = 4 * 1024 * 1024;

class Semaphore {
  private waiting: (() => void)[] = [];
  private free: number;
  constructor(private readonly max: number) {
    this.free = max;
  }
  async acquire(want: number): Promise<number> {
    const n = Math.min(want, this.max);
    while (this.free < n) await new Promise<void>((r) => this.waiting.push(r));
    this.free -= n;
    return n;
  }
  release(n: number): void {
    this.free += n;
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }
}

interface Content {
  content: string[];
  size: number;
}

/** A file node whose content is still being read. */
interface PendingFile {
  pending: FileNode;
  content: Promise<Content | undefined>;
}

function utf8Name(raw: Buffer): string | undefined {
  const s = raw.toString('utf8');
  // the decoder turns every invalid sequence into U+FFFD: without one the name is valid UTF-8 as it is
  if (!s.includes('\uFFFD')) return s;
  return Buffer.from(s, 'utf8').equals(raw) ? s : undefined;
}

/**
 * Refuses, before anything is locked or stored, a top-level path that does not exist, cannot be read, or is not a
 * file, directory or symlink (`-`, `/dev/stdin`, a FIFO): a snapshot of nothing must never become `latest`.
 */
export function checkBackupPaths(paths: readonly string[]): void {
  if (paths.length === 0) throw new ClientError('usage', 'nothing to back up: give at least one path');
  for (const given of paths) {
    if (given === '-') throw new ClientError('usage', 'cannot back up -: to back up standard input use --stdin', { path: given });
    const p = resolve(given);
    let st;
    try {
      st = lstatSync(p);
    } catch (e) {
      throw fileSystemError(e, 'back up', given);
    }
    let target = st;
    if (st.isSymbolicLink()) {
      try {
        target = statSync(p);
      } catch {
        continue; // a dangling symlink is stored as the symlink it is
      }
    }
    if (!target.isFile() && !target.isDirectory() && !target.isSymbolicLink()) {
      throw new ClientError('usage', `cannot back up ${given}: not a file or directory (to back up a stream use --stdin)`, { path: given });
    }
    if (st.isSymbolicLink()) continue;
    try {
      if (st.isDirectory()) closeSync(openSync(p, fsc.O_RDONLY | fsc.O_DIRECTORY));
      else closeSync(openSync(p, fsc.O_RDONLY | fsc.O_NONBLOCK));
      if (st.isDirectory()) readdirSync(p);
    } catch (e) {
      throw fileSystemError(e, 'back up', given);
    }
  }
}

/** The name a stream is stored under: one path component (bkv backup --stdin-filename). */
export function checkStdinName(name: string, paths: readonly string[] = []): void {
  if (paths.length > 0) throw new ClientError('usage', '--stdin backs up standard input only: give no paths with it');
  if (!isSafeName(name)) throw new ClientError('usage', `--stdin-filename must be one file name (got ${JSON.stringify(name)})`);
}

/** Runs a backup with a shared lock held for its whole length. */
export function backup(repo: Repository, options: BackupOptions): Promise<BackupResult> {
  try {
    if (options.stdin !== undefined) checkStdinName(options.stdin.name, options.paths);
    else checkBackupPaths(options.paths);
  } catch (e) {
    return Promise.reject(e);
  }
  return withLock(repo.store, false, `backup on ${options.host ?? hostname()}`, options.signal, (lock, signal) => new BackupRun(repo, options, lock, signal).run(), options.lockTtlSeconds);
}

class BackupRun {
  private readonly warnings: BackupWarning[] = [];
  private readonly skipped: Skipped[] = [];
  private readonly summary: SnapshotSummary = { files: 0, dirs: 0, symlinks: 0, bytes: 0, newBytes: 0, uploadedBytes: 0 };
  private readonly excluder: Excluder;
  private readonly budget = new Semaphore(READ_BUDGET);
  /** Dedup, packs, uploads and the index (packs/blob-writer.ts). */
  private readonly writer: BlobWriter;
  /** Entries of the trees stored so far (docs/repository.md "Limits"). */
  private entries = 0;
  private readonly reads = new Set<Promise<void>>();
  private failure: unknown;
  /** Hard links: (dev, inode) → the content of the first one read. */
  private readonly links = new Map<string, Promise<Content | undefined>>();
  private batch: { length: number; files: { path: string; size: number; done: (c: Content | undefined) => void; fail: (e: unknown) => void }[] } | undefined;
  private lastProgress = 0;
  private xattrsChecked = false;

  constructor(private readonly repo: Repository, private readonly opts: BackupOptions, private readonly lock: HeldLock, private readonly signal: AbortSignal) {
    this.excluder = Excluder.fromOptions(opts);
    this.writer = new BlobWriter(repo, {
      signal, uploads: opts.uploads, counters: this.summary, beforeStore: () => lock.assertHeld(),
      beforeUpload: opts.capYoungGeneration ? () => capYoungGeneration(YOUNG_SEMI_BYTES) : undefined,
    });
  }

  private warn(path: string, message: string, kind: BackupWarning['kind']): void {
    const w = { path, message, kind };
    this.warnings.push(w);
    // what is not in the snapshot makes it incomplete: an entry skipped, or one (or part of one) it cannot hold
    if (kind !== 'changed') this.skipped.push({ path, error: message });
    this.opts.onWarning?.(w);
  }

  private progress(force = false): void {
    if (this.opts.onProgress === undefined) return;
    const now = Date.now();
    if (!force && now - this.lastProgress < 100) return;
    this.lastProgress = now;
    this.opts.onProgress({ files: this.summary.files, dirs: this.summary.dirs, bytes: this.summary.bytes, newBytes: this.summary.newBytes, uploadedBytes: this.summary.uploadedBytes });
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure;
    this.writer.check();
  }

  async run(): Promise<BackupResult> {
    try {
      return await this.walkAndCommit();
    } catch (e) {
      this.failure ??= e;
      while (this.reads.size > 0) await Promise.allSettled([...this.reads]);
      // after Ctrl-C or a failure: an index of the packs already stored, never a snapshot (docs/repository.md "Index")
      await this.writer.abort(e);
      throw e;
    }
  }

  private async walkAndCommit(): Promise<BackupResult> {
    const started = Date.now();
    const repo = this.repo;
    const stdin = this.opts.stdin;
    const paths = stdin !== undefined ? [`/${stdin.name}`] : [...new Set(this.opts.paths.map((p) => resolve(p)))].sort();
    if (paths.length === 0) throw new ClientError('usage', 'nothing to back up: give at least one path');
    const names = new Map<string, string>();
    for (const p of paths) {
      const n = p === '/' ? 'root' : basename(p);
      if (names.has(n)) throw new ClientError('usage', `${names.get(n)} and ${p} have the same last component: back them up separately`);
      names.set(n, p);
    }
    const host = this.opts.host ?? hostname();
    await repo.loadIndex({ signal: this.signal });
    const snapshots = await repo.snapshots({ signal: this.signal });
    let parent: Snapshot | undefined;
    if (this.opts.parent === undefined) {
      const group = groupKey({ host, paths });
      parent = snapshots.filter((s) => groupKey(s) === group).sort(newestFirst)[0];
    } else if (this.opts.parent !== null) {
      parent = snapshots.find((s) => s.id === this.opts.parent);
      if (parent === undefined) throw new ClientError('usage', `no snapshot ${this.opts.parent}`);
    }
    const parentRoot = parent === undefined ? undefined : await this.parentTree(parent.tree);
    const rootNodes: TreeNode[] = [];
    if (stdin !== undefined) rootNodes.push(await this.stream(stdin.name, stdin.fd ?? 0));
    for (const p of stdin !== undefined ? [] : paths) {
      this.check();
      const name = p === '/' ? 'root' : basename(p);
      let st: BigIntStats;
      try {
        st = lstatSync(p, { bigint: true });
      } catch (e) {
        throw fileSystemError(e, 'read', p);
      }
      const prev = parentRoot?.nodes.find((n) => n.name === name);
      const node = await this.entry(p, name, st, prev, st.dev);
      this.flushBatch();
      const done = node === undefined ? undefined : await this.complete(node);
      if (done !== undefined) rootNodes.push(done);
    }
    const rootId = this.storeTree({ nodes: sortNodes(rootNodes) });
    while (this.reads.size > 0) await Promise.allSettled([...this.reads]);
    this.check();
    await this.writer.finish();
    this.check();
    this.lock.assertHeld();
    const snapshot: Snapshot = {
      version: 1, id: newId(), time: new Date().toISOString(), host, user: this.opts.user ?? safeUser(), paths, tags: [...(this.opts.tags ?? [])].sort(),
      tree: rootId, parent: parent?.id ?? null, incomplete: this.skipped.length > 0, skipped: this.skipped, summary: this.summary,
    };
    const body = encryptObject(repo.keys, encodeJson(snapshot));
    this.summary.uploadedBytes += body.length;
    await repo.store.put({ type: 'snapshots', id: snapshot.id }, body, { signal: this.signal });
    repo.cache?.put({ type: 'snapshots', id: snapshot.id }, body);
    this.progress(true);
    return { snapshot, warnings: this.warnings, timings: { total: Date.now() - started } };
  }

  private async parentTree(id: string): Promise<Tree | undefined> {
    if (!this.repo.index.has(id)) return undefined;
    return this.repo.tree(id, { signal: this.signal });
  }

  /** The node of one path (a root path or a directory entry), or undefined when skipped. */
  private async entry(path: string, name: string, st: BigIntStats, prev: TreeNode | undefined, rootDev: bigint): Promise<TreeNode | PendingFile | undefined> {
    // one literal per node, in the order the tree is encoded in (not a spread: see decodeTree)
    const mode = Number(st.mode & 0o7777n);
    const mtime = st.mtimeNs.toString();
    const uid = Number(st.uid);
    const gid = Number(st.gid);
    if (!st.isSymbolicLink() && !st.isFile() && !st.isDirectory()) {
      const special = st.isFIFO() ? 'fifo' as const : st.isCharacterDevice() ? 'chardev' as const : st.isBlockDevice() ? 'blockdev' as const : undefined;
      if (special === undefined) {
        this.warn(path, 'a socket is not backed up (the program that listens makes it)', 'unsupported');
        return undefined;
      }
      const node: SpecialNode = special === 'fifo'
        ? { name, mode, mtime, uid, gid, type: special }
        : { name, mode, mtime, uid, gid, type: special, rdev: st.rdev.toString() };
      this.withXattrs(node, path, undefined);
      return node;
    }
    if (st.isSymbolicLink()) {
      let target: string;
      try {
        target = readlinkSync(path, 'buffer').toString('utf8');
      } catch (e) {
        this.warn(path, `cannot read link: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
        return undefined;
      }
      this.summary.symlinks++;
      return { name, mode, mtime, uid, gid, type: 'symlink', target };
    }
    if (st.isDirectory()) {
      const prevTree = prev?.type === 'dir' ? await this.parentTree(prev.subtree).catch(() => undefined) : undefined;
      const subtree = await this.dir(path, prevTree, rootDev);
      if (subtree === undefined) return undefined;
      this.summary.dirs++;
      const node: DirNode = { name, mode, mtime, uid, gid, type: 'dir', subtree };
      this.withXattrs(node, path, undefined);
      return node;
    }
    if (st.isFile()) {
      const size = Number(st.size);
      const node: FileNode = { name, mode, mtime, uid, gid, type: 'file', size, content: [], ctime: st.ctimeNs.toString(), inode: st.ino.toString() };
      if (st.nlink > 1n) node.links = Number(st.nlink);
      const reuse = prev?.type === 'file' && prev.size === size && prev.mtime === node.mtime && prev.ctime === node.ctime && prev.inode === node.inode
        && prev.content.every((c) => this.writer.has(c));
      // an unchanged ctime means unchanged extended attributes too (setting one changes the ctime)
      this.withXattrs(node, path, reuse ? prev : undefined);
      let content: Promise<Content | undefined>;
      const linkKey = st.nlink > 1n ? `${st.dev}:${st.ino}` : undefined;
      const known = linkKey === undefined ? undefined : this.links.get(linkKey);
      if (known !== undefined) content = known;
      else if (reuse) {
        this.summary.bytes += size; // unchanged since the parent: not read, but part of the snapshot
        content = Promise.resolve({ content: prev.content, size });
      } else content = this.readFile(path, size);
      content.catch(() => undefined); // awaited by the directory; one abandoned by an abort must not go unhandled
      if (linkKey !== undefined && known === undefined) this.links.set(linkKey, content);
      this.summary.files++;
      return { pending: node, content };
    }
    this.warn(path, 'not a file, directory or symlink', 'unsupported');
    return undefined;
  }

  /** Puts the entry's extended attributes on `node` (the unchanged `prev`'s when given); a failure is a warning. */
  private withXattrs(node: TreeNode, path: string, prev: TreeNode | undefined): void {
    if (prev !== undefined) {
      if (prev.xattrs !== undefined) node.xattrs = prev.xattrs;
      return;
    }
    if (!this.xattrsChecked) {
      this.xattrsChecked = true;
      if (!xattrsAvailable()) this.warn(path, XATTRS_UNAVAILABLE, 'unsupported');
    }
    try {
      const x = readXattrs(path);
      if (x !== undefined) node.xattrs = x;
    } catch (e) {
      this.warn(path, `extended attributes not backed up: ${(e as Error).message.replace(/ \(os error \d+\)$/, '').toLowerCase()}`, 'unsupported');
    }
  }

  /** Backs up a directory and returns its tree blob id (or undefined when it cannot be read). */
  private async dir(path: string, prev: Tree | undefined, rootDev: bigint): Promise<string | undefined> {
    this.check();
    let raw: Buffer[];
    try {
      raw = readdirSync(path, { encoding: 'buffer' });
    } catch (e) {
      this.warn(path, `cannot read directory: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
      return undefined;
    }
    const prevByName = new Map<string, TreeNode>();
    for (const n of prev?.nodes ?? []) prevByName.set(n.name, n);
    const nodes: TreeNode[] = [];
    const files: PendingFile[] = [];
    const subdirs: { name: string; full: string; st: BigIntStats }[] = [];
    for (const r of raw) {
      const name = utf8Name(r);
      const full = join(path, r.toString('utf8'));
      if (name === undefined) {
        this.warn(`${path}/${r.toString('latin1')}`, 'name is not valid UTF-8', 'unsupported');
        continue;
      }
      let st: BigIntStats;
      try {
        st = lstatSync(full, { bigint: true });
      } catch (e) {
        if (this.excluder.excludes(full, false)) continue;
        this.warn(full, `cannot stat: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
        continue;
      }
      if (this.excluder.excludes(full, st.isDirectory())) continue;
      if (st.isDirectory()) {
        if (this.opts.oneFileSystem && st.dev !== rootDev) continue;
        if (this.excluder.excludesDirectory(full)) continue;
        subdirs.push({ name, full, st });
        continue;
      }
      const node = await this.entry(full, name, st, prevByName.get(name), rootDev);
      if (node === undefined) continue;
      if ('pending' in node) files.push(node);
      else nodes.push(node);
    }
    this.flushBatch();
    for (const d of subdirs) {
      const node = await this.entry(d.full, d.name, d.st, prevByName.get(d.name), rootDev);
      if (node !== undefined && !('pending' in node)) nodes.push(node);
    }
    this.flushBatch();
    for (const f of files) {
      const node = await this.complete(f);
      if (node !== undefined) nodes.push(node);
    }
    this.check();
    return this.storeTree({ nodes: sortNodes(nodes) });
  }

  /** The node once its content is read (undefined when the file was skipped). */
  private async complete(node: TreeNode | PendingFile): Promise<TreeNode | undefined> {
    if (!('pending' in node)) return node;
    const c = await node.content;
    if (c === undefined) {
      this.summary.files--;
      return undefined;
    }
    node.pending.content = c.content;
    node.pending.size = c.size;
    if (node.pending.links === undefined) delete node.pending.links;
    return node.pending;
  }

  // -- reading and chunking -------------------------------------------------------------------------------

  /** Opens a file for reading without following a symlink or blocking on a FIFO put in its place. */
  private open(path: string): number | undefined {
    try {
      this.opts.beforeRead?.(path);
      const fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
      if (!fstatSync(fd).isFile()) {
        closeSync(fd);
        this.warn(path, 'is no longer a regular file', 'skipped');
        return undefined;
      }
      return fd;
    } catch (e) {
      this.warn(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
      return undefined;
    }
  }

  private readFile(path: string, size: number): Promise<Content | undefined> {
    if (size <= SMALL_FILE) return this.readSmall(path, size);
    return this.readLarge(path, size);
  }

  private readSmall(path: string, size: number): Promise<Content | undefined> {
    return new Promise((done, fail) => {
      if (this.batch !== undefined && (this.batch.length + size + 1 > BATCH_CAPACITY || this.batch.files.length >= BATCH_FILES)) this.flushBatch();
      this.batch ??= { length: 0, files: [] };
      this.batch.files.push({ path, size, done, fail });
      this.batch.length += size + 1; // room for one byte of growth detection
    });
  }

  /** Reads the queued small files into one buffer and chunks them on a worker. */
  private flushBatch(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    const work = (async () => {
      // the memory is taken once the read budget allows: batches queued behind it hold none
      const held = await this.budget.acquire(BATCH_CAPACITY);
      const slab = this.repo.pool.takeSlab(BATCH_CAPACITY);
      const buf = slab.bytes;
      try {
        this.check();
        const segments: [number, number, boolean][] = [];
        const live: typeof batch.files = [];
        let at = 0;
        for (const f of batch.files) {
          const fd = this.open(f.path);
          if (fd === undefined) {
            f.done(undefined);
            continue;
          }
          let n = 0;
          try {
            n = readAll(fd, buf, at, f.size + 1);
            if (n !== f.size) this.warn(f.path, `changed while reading (${n > f.size ? 'grew' : 'shrank'})`, 'changed');
            n = Math.min(n, f.size);
          } catch (e) {
            closeSync(fd);
            this.warn(f.path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
            f.done(undefined);
            continue;
          }
          closeSync(fd);
          segments.push([at, n, true]);
          live.push(f);
          at += n;
        }
        const { segments: outs } = await this.repo.pool.chunk({
          chunker: this.repo.keys.chunker, hmacKey: this.repo.keys.blobIdKey, compress: true, slab: slab.id, length: at, segments,
        });
        for (let i = 0; i < live.length; i++) {
          const content = await this.writer.saveSegment(outs[i]!, buf);
          this.summary.bytes += segments[i]![1];
          live[i]!.done({ content, size: segments[i]![1] });
        }
        this.progress();
      } catch (e) {
        for (const f of batch.files) f.fail(e);
      } finally {
        this.repo.pool.giveSlab(slab);
        this.budget.release(held);
      }
    })();
    this.reads.add(work);
    void work.then(() => this.reads.delete(work));
  }

  private async readLarge(path: string, size: number): Promise<Content | undefined> {
    return this.readFd(path, size, () => this.open(path));
  }

  /** The file node of a stream (standard input): its bytes until EOF, the time now, this process's owner. */
  private async stream(name: string, fd: number): Promise<FileNode> {
    const content = await this.readFd(`<stdin ${name}>`, undefined, () => fd, false);
    if (content === undefined) throw new ClientError('file-system', 'cannot read standard input: nothing was saved', { path: '-', errno: 'EIO' });
    this.summary.files++;
    const now = (BigInt(Date.now()) * 1000000n).toString();
    return {
      name, mode: 0o600, mtime: now, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, type: 'file', size: content.size, content: content.content,
    };
  }

  /**
   * Reads a file (size known: it reports growth and shrinking) or a stream (size undefined: until EOF) in windows
   * and chunks them on a worker.
   */
  private async readFd(path: string, size: number | undefined, open: () => number | undefined, close = true): Promise<Content | undefined> {
    const held = await this.budget.acquire(WINDOW);
    try {
      this.check();
      const fd = open();
      if (fd === undefined) return undefined;
      const slab = this.repo.pool.takeSlab(WINDOW);
      const buf = slab.bytes;
      const content: string[] = [];
      let total = 0;
      let carry = 0;
      try {
        for (;;) {
          this.check();
          const want = size === undefined ? WINDOW - carry : Math.min(WINDOW - carry, size - total + 1);
          let n: number;
          try {
            n = want > 0 ? readAll(fd, buf, carry, want) : 0;
          } catch (e) {
            this.warn(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
            return undefined;
          }
          if (size !== undefined && total + n > size) {
            this.warn(path, 'changed while reading (grew)', 'changed');
            n = size - total;
          }
          total += n;
          const eof = (size !== undefined && total >= size) || n < want;
          if (eof && size !== undefined && total < size) this.warn(path, 'changed while reading (shrank)', 'changed');
          const length = carry + n;
          const r = await this.repo.pool.chunk({
            chunker: this.repo.keys.chunker, hmacKey: this.repo.keys.blobIdKey, compress: true, slab: slab.id, length, segments: [[0, length, eof]],
          });
          const seg = r.segments[0]!;
          content.push(...(await this.writer.saveSegment(seg, buf)));
          this.summary.bytes += n;
          this.progress();
          if (eof) break;
          carry = length - seg.consumed;
          copyWithinInto(buf, 0, seg.consumed, length);
        }
      } finally {
        if (close) closeSync(fd);
        this.repo.pool.giveSlab(slab);
      }
      return { content, size: total };
    } finally {
      this.budget.release(held);
    }
  }

  private storeTree(tree: Tree): string {
    // what readers refuse is never written (docs/repository.md "Limits"); depth is bounded by PATH_MAX already
    this.entries += tree.nodes.length;
    if (this.entries > MAX_SNAPSHOT_ENTRIES) throw new ClientError('usage', `more than ${MAX_SNAPSHOT_ENTRIES} entries in one snapshot: back up fewer paths at once`);
    const plain = encodeTree(tree);
    if (plain.length > MAX_TREE_BLOB_BYTES) throw new ClientError('usage', `a directory of ${tree.nodes.length} entries is too large for one tree (${MAX_TREE_BLOB_BYTES} bytes): split it or exclude it`);
    return this.writer.saveTree(plain);
  }
}

/** Reads up to `length` bytes into `buf` at `at`; returns how many (fewer at the end of the file). */
function readAll(fd: number, buf: Buffer, at: number, length: number): number {
  let n = 0;
  while (n < length) {
    let r: number;
    try {
      r = readSync(fd, buf, at + n, length - n, null);
    } catch (e) {
      // a pipe someone made non-blocking (standard input of a shell pipeline): wait for the writer
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(PAUSE, 0, 0, 5);
      continue;
    }
    if (r === 0) break;
    n += r;
  }
  return n;
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** Files and bytes a backup of `paths` would walk (lstat only: for a progress bar's total and ETA). */
export function scanTotals(paths: readonly string[], options: ExcludeOptions & Pick<BackupOptions, 'oneFileSystem'> = {}): { files: number; bytes: number } {
  const excluder = Excluder.fromOptions(options);
  const totals = { files: 0, bytes: 0 };
  // a file with more than one link is read once (backup finds hard links by inode): its bytes count once, as the
  // backup's progress counts them (each link is still a file of the snapshot)
  const linked = new Set<string>();
  const visit = (path: string, dev: number | undefined, inner = false) => {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      return;
    }
    if (inner && excluder.excludes(path, st.isDirectory())) return;
    if (st.isFile()) {
      totals.files++;
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (linked.has(key)) return;
        linked.add(key);
      }
      totals.bytes += st.size;
    } else if (st.isDirectory() && (dev === undefined || !options.oneFileSystem || st.dev === dev) && !(inner && excluder.excludesDirectory(path))) {
      let names: string[] = [];
      try {
        names = readdirSync(path);
      } catch {
        return;
      }
      for (const n of names) {
        visit(join(path, n), dev ?? st.dev, true);
      }
    }
  };
  for (const p of paths) visit(resolve(p), undefined);
  return totals;
}
