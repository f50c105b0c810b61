// `backup`: one snapshot of some paths (docs/repository.md "Snapshots", "Trees", "Packs", "Index"). This file is the
// orchestration, restic's internal/archiver Archiver: it walks (the entries come from fs/walker.ts: lstat, never a
// symlink followed, the exclude and one-file-system rules), builds the trees, and commits. It owns parent-tree
// change detection (a file unchanged since the parent snapshot, same size, mtime, ctime and inode and its chunks
// still indexed, keeps its content list without being read), hard links (found by inode, read once), the limits on
// trees, and the snapshot. The stages it hands work to, each with one owner:
//   reading files into blobs   blobs/file-reader.ts (small-file batches, windowed reads, the read budget)
//   storing blobs              packs/blob-writer.ts (dedup, packs, uploads, index every 16 packs or 30 s, abort index)
// Its lifecycle is commands/backup-state.ts (walking → finishing → committing → committed | failing → aborted). The
// snapshot is written last, while a shared lock (refreshed every ttl/3) is still held: an aborted or failed backup
// commits no snapshot, and the packs it stored are found through its index objects and reused next time.
//
// An unreadable file is skipped with a warning naming it and the snapshot is marked incomplete; a file that
// changes while it is read is reported (what was read is stored).

import { closeSync, constants as fsc, lstatSync, openSync, readdirSync, readlinkSync, statSync, type BigIntStats } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { basename, resolve } from 'node:path';
import { capYoungGeneration } from '../../../runtime/gc.js';
import { FileReader, type Content } from '../blobs/file-reader.js';
import { MAX_SNAPSHOT_ENTRIES, MAX_TREE_BLOB_BYTES } from '../limits.js';
import type { ExcludeOptions } from '../fs/exclude.js';
import { Walker, type WalkEntry } from '../fs/walker.js';
import { withLock, type HeldLock } from '../storage/lock.js';
import { newId } from '../objects.js';
import { BlobWriter } from '../packs/blob-writer.js';
import { nextBackupState, type BackupEvent, type BackupState } from './backup-state.js';
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
  /** Lifetime of the shared lock, refreshed every third of it (default protocol/repo-schemas.ts DEFAULT_LOCK_TTL_S, 120 s). */
  lockTtlSeconds?: number;
  /**
   * Holds V8's young generation at 4 MiB semispaces once it reached them (runtime/gc.ts capYoungGeneration): ~16 MiB less
   * peak memory in a 1 GiB backup at the same speed, but through a V8 flag of the whole process, so only for a
   * process of its own, such as the `bkv` CLI (default false: an app embedding the SDK keeps its heap as it is).
   */
  capYoungGeneration?: boolean;
  /** Test hook: called before a file is opened for reading. */
  beforeRead?: (path: string) => void;
  /** Called on each step of the backup's lifecycle (commands/backup-state.ts). */
  onState?: (state: BackupState) => void;
}

export interface BackupResult {
  snapshot: Snapshot;
  warnings: BackupWarning[];
  /** Milliseconds per phase (benchmarks). */
  timings: { total: number };
}

/** The main thread's young generation stops growing at semispaces of this size (runtime/gc.ts capYoungGeneration). */
const YOUNG_SEMI_BYTES = 4 * 1024 * 1024;

/** A file node whose content is still being read. */
interface PendingFile {
  pending: FileNode;
  content: Promise<Content | undefined>;
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

/**
 * Runs a backup with a shared lock held for its whole length. It takes the whole Repository: the lock, the index,
 * the parent's trees, the blob-writer session (the BlobWriterRepo port) and the commit (SnapshotSaver) all start here.
 */
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
  /** readdir, lstat, the exclude and one-file-system rules (fs/walker.ts). */
  private readonly walker: Walker;
  /** Dedup, packs, uploads and the index (packs/blob-writer.ts). */
  private readonly writer: BlobWriter;
  /** Entries of the trees stored so far (docs/repository.md "Limits"). */
  private entries = 0;
  /** Small-file batches, windowed reads and the read budget (blobs/file-reader.ts). */
  private readonly reader: FileReader;
  private failure: unknown;
  /** Hard links: (dev, inode) → the content of the first one read. */
  private readonly links = new Map<string, Promise<Content | undefined>>();
  private lastProgress = 0;
  private xattrsChecked = false;
  private state: BackupState = 'walking';

  constructor(private readonly repo: Repository, private readonly opts: BackupOptions, private readonly lock: HeldLock, private readonly signal: AbortSignal) {
    this.walker = new Walker(opts, (path, message, kind) => this.warn(path, message, kind));
    this.writer = new BlobWriter(repo, {
      signal, uploads: opts.uploads, counters: this.summary, beforeStore: () => lock.assertHeld(),
      beforeUpload: opts.capYoungGeneration ? () => capYoungGeneration(YOUNG_SEMI_BYTES) : undefined,
    });
    this.reader = new FileReader(repo, this.writer, {
      warn: (path, message, kind) => this.warn(path, message, kind),
      read: (bytes) => void (this.summary.bytes += bytes),
      progress: () => this.progress(),
      check: () => this.check(),
      beforeRead: opts.beforeRead,
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

  private step(event: BackupEvent): void {
    this.state = nextBackupState(this.state, event);
    this.opts.onState?.(this.state);
  }

  async run(): Promise<BackupResult> {
    this.opts.onState?.(this.state);
    try {
      return await this.walkAndCommit();
    } catch (e) {
      this.failure ??= e;
      this.step('fail');
      await this.reader.settle();
      // after Ctrl-C or a failure: an index of the packs already stored, never a snapshot (docs/repository.md "Index")
      await this.writer.abort(e);
      this.step('settled');
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
      this.reader.flush();
      const done = node === undefined ? undefined : await this.complete(node);
      if (done !== undefined) rootNodes.push(done);
    }
    const rootId = this.storeTree({ nodes: sortNodes(rootNodes) });
    await this.reader.settle();
    this.check();
    this.step('walked');
    await this.writer.finish();
    this.check();
    this.step('stored');
    this.lock.assertHeld();
    const snapshot: Snapshot = {
      version: 1, id: newId(), time: new Date().toISOString(), host, user: this.opts.user ?? safeUser(), paths, tags: [...(this.opts.tags ?? [])].sort(),
      tree: rootId, parent: parent?.id ?? null, incomplete: this.skipped.length > 0, skipped: this.skipped, summary: this.summary,
    };
    // the commit (the SnapshotSaver port); the summary it stores counts every byte but its own
    this.summary.uploadedBytes += await repo.putSnapshot(snapshot, { signal: this.signal });
    this.progress(true);
    this.step('committed');
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
      } else content = this.reader.readFile(path, size);
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
    const listed = this.walker.readDir(path, rootDev);
    if (listed === undefined) return undefined;
    const prevByName = new Map<string, TreeNode>();
    for (const n of prev?.nodes ?? []) prevByName.set(n.name, n);
    const nodes: TreeNode[] = [];
    const files: PendingFile[] = [];
    const subdirs: WalkEntry[] = [];
    for (const { name, path: full, st } of listed) {
      if (st.isDirectory()) {
        subdirs.push({ name, path: full, st });
        continue;
      }
      const node = await this.entry(full, name, st, prevByName.get(name), rootDev);
      if (node === undefined) continue;
      if ('pending' in node) files.push(node);
      else nodes.push(node);
    }
    this.reader.flush();
    for (const d of subdirs) {
      const node = await this.entry(d.path, d.name, d.st, prevByName.get(d.name), rootDev);
      if (node !== undefined && !('pending' in node)) nodes.push(node);
    }
    this.reader.flush();
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

  /** The file node of a stream (standard input): its bytes until EOF, the time now, this process's owner. */
  private async stream(name: string, fd: number): Promise<FileNode> {
    const content = await this.reader.readFd(`<stdin ${name}>`, undefined, () => fd, false);
    if (content === undefined) throw new ClientError('file-system', 'cannot read standard input: nothing was saved', { path: '-', errno: 'EIO' });
    this.summary.files++;
    const now = (BigInt(Date.now()) * 1000000n).toString();
    return {
      name, mode: 0o600, mtime: now, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, type: 'file', size: content.size, content: content.content,
    };
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

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}

/** Re-exported for client/cli (the scan lives with the walker). */
export { scanTotals } from '../fs/scan.js';
