// `restore`: a snapshot (or the `include`d parts of it) into a target directory (docs/repository.md
// "Restoring"). Everything is written into a fresh staging directory beside the target (mode 0700 until the
// end), recorded under `$BKV_HOME/restores/` so a later run removes it if this process is killed, and renamed
// into place only when every file is complete and verified. On an error or an abort the staging directory is
// removed, so no plaintext is left behind.
//
// Safety: the target's parent is reached without following a symlink of another user's (target-path.ts), and
// only its real path is used; every name is one validated component (tree.ts), the target is fresh, files are created with `wx` and
// O_NOFOLLOW, and symlinks are created last, after every file and hard link, so nothing is ever written
// beneath or through one. Hard links are files of the snapshot with the same inode (links > 1), linked to the
// first of them. Data is fetched pack by pack, a few packs at once, only the ranges needed (pack-reader.ts),
// opened on the blob workers, and written there
// with positional writes (the plaintext never comes back to this thread).

import { randomBytes } from 'node:crypto';
import {
  closeSync, constants as fsc, linkSync, lchownSync, lstatSync, lutimesSync, chmodSync, mkdirSync, openSync, readFileSync, readdirSync,
  renameSync, rmSync, rmdirSync, symlinkSync, writeFileSync, utimesSync, chownSync, existsSync, truncateSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { basename, dirname, join, resolve } from 'node:path';
import type { BlobEntry, PackEntry } from '../packs/index.js';
import { treeShape } from '../limits.js';
import { damaged } from '../objects.js';
import { readBlobs } from '../packs/pack-reader.js';
import { safeParent } from '../fs/target-path.js';
import { parallel } from '../parallel.js';
import type { RestoreSource } from '../ports.js';
import type { Snapshot } from '../snapshot.js';
import type { FileNode, SpecialNode, TreeNode } from '../tree.js';
import { isAcl, writeXattrs } from '../fs/xattrs.js';
import { ClientError, fileSystemError, isClientError, isSystemError } from '../../errors.js';
import { Excluder } from '../fs/exclude.js';

export interface RestoreProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
}

export interface RestoreOptions {
  /**
   * Patterns of what to restore, as `backup --exclude` takes them (client/repo/fs/exclude.ts), matched against each
   * entry's original absolute path: `name/sub/file` (any depth), `/home/me/name/sub/file`, `*.conf`; default all.
   * The directories leading to what is included are restored too. A pattern that matches nothing is an error.
   */
  include?: readonly string[];
  /** Patterns of what not to restore (after `include`). */
  exclude?: readonly string[];
  /** `$BKV_HOME`: where unfinished staging directories are recorded. */
  home?: string;
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
  /** Each thing that could not be restored as the snapshot holds it (also in the result). */
  onWarning?: (w: RestoreWarning) => void;
  /** Packs fetched at once (default 4). */
  parallel?: number;
  /** Test hook: called before each pack is read. */
  beforePack?: (packId: string) => void;
}

export interface RestoreResult {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  /** FIFOs and device nodes recreated. */
  specials: number;
  bytes: number;
  /** What could not be restored as the snapshot holds it (a device node without root, an xattr refused…). */
  warnings: RestoreWarning[];
}

export interface RestoreWarning {
  /** Path inside the snapshot. */
  path: string;
  message: string;
}

const STAGING_PREFIX = '.bkv-restore-';

function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new ClientError('cancelled', 'cancelled');
}

/** Removes staging directories that an earlier restore (killed before it could clean up) left behind. */
export function removeStaleStaging(home: string): string[] {
  const dir = join(home, 'restores');
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const e of entries) {
    const record = join(dir, e);
    try {
      const { path, pid } = JSON.parse(readFileSync(record, 'utf8')) as { path: string; pid: number };
      if (pid !== process.pid && alive(pid)) continue;
      if (basename(path).startsWith(STAGING_PREFIX)) {
        rmSync(path, { recursive: true, force: true });
        removed.push(path);
      }
    } catch {
      // a record we cannot read is dropped
    }
    rmSync(record, { force: true });
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A local file-system failure while restoring (a full disk, too many open files) as a 'file-system' error naming
 * the path as it would have been in the target (the staging directory is ours, and gone by now).
 */
function inTarget(e: unknown, staging: string, dest: string): unknown {
  const failed = isSystemError(e) ? fileSystemError(e, 'write', typeof e.path === 'string' ? e.path : staging) : e;
  if (!isClientError(failed, 'file-system') || !(failed.details.path === staging || failed.details.path.startsWith(`${staging}/`))) return failed;
  const path = dest + failed.details.path.slice(staging.length);
  return new ClientError('file-system', failed.message.replace(failed.details.path, path), { ...failed.details, path }, { cause: failed.cause ?? failed });
}

interface PlannedFile {
  path: string;
  node: FileNode;
  written: number;
}

/**
 * Which nodes `--include` / `--exclude` select (client/repo/fs/exclude.ts: the patterns of `backup`, matched against
 * each node's original absolute path): `in`, `out`, or `maybe` for a directory that is not included itself but
 * may hold something that is (created, and removed again if nothing inside was restored). Remembers which
 * patterns matched something, so that one that matched nothing is an error rather than an empty restore.
 */
class Selection {
  private readonly includes: Excluder;
  private readonly excludes: Excluder;
  private readonly hitIncludes = new Set<number>();
  private readonly hitExcludes = new Set<number>();

  constructor(private readonly snapshot: Snapshot, include: readonly string[], exclude: readonly string[]) {
    this.includes = new Excluder(include);
    this.excludes = new Excluder(exclude);
  }

  /** The original absolute path of a node (`rel`: its components, the first one a root name of the snapshot). */
  private absolute(rel: readonly string[]): string {
    const root = this.snapshot.paths.find((p) => (p === '/' ? 'root' : basename(p)) === rel[0]) ?? `/${rel[0]}`;
    return rel.length === 1 ? root : `${root === '/' ? '' : root}/${rel.slice(1).join('/')}`;
  }

  verdict(rel: readonly string[], isDir: boolean): 'in' | 'out' | 'maybe' {
    const abs = this.absolute(rel);
    const ex = this.excludes.excludedBy(abs, isDir);
    if (ex >= 0) {
      this.hitExcludes.add(ex);
      return 'out';
    }
    if (this.includes.empty) return 'in';
    const inc = this.includes.excludedBy(abs, false);
    if (inc >= 0) {
      this.hitIncludes.add(inc);
      return 'in';
    }
    return isDir && this.includes.mayMatchInside(abs) ? 'maybe' : 'out';
  }

  /** A usage error naming the first pattern that matched nothing, if any. */
  unmatched(): ClientError | undefined {
    const missed = (list: Excluder, hit: Set<number>) => list.patterns.find((p, i) => !hit.has(i) && !p.startsWith('!'));
    const inc = missed(this.includes, this.hitIncludes);
    if (inc !== undefined) return new ClientError('usage', `--include ${inc} matches nothing in snapshot ${this.snapshot.id.slice(0, 8)}: nothing was restored`, { pattern: inc });
    const ex = missed(this.excludes, this.hitExcludes);
    if (ex !== undefined) return new ClientError('usage', `--exclude ${ex} matches nothing in snapshot ${this.snapshot.id.slice(0, 8)}: nothing was restored`, { pattern: ex });
    return undefined;
  }
}

export async function restore(repo: RestoreSource, snapshot: Snapshot, target: string, options: RestoreOptions = {}): Promise<RestoreResult> {
  const signal = options.signal;
  const uid = process.getuid?.();
  // the parent as it is now (no symlink of another user's on the way), to look at the target itself
  let dest = join(safeParent(dirname(resolve(target)), uid, target, false), basename(resolve(target)));
  if (options.home !== undefined) removeStaleStaging(options.home);
  let targetExists = false;
  try {
    const st = lstatSync(dest);
    if (!st.isDirectory() || readdirSync(dest).length > 0) throw new ClientError('usage', `${target} exists and is not an empty directory: restore into a new one`, { path: target });
    targetExists = true;
  } catch (e) {
    if (e instanceof ClientError) throw e;
  }
  await repo.ensureIndex({ signal });
  // a target whose parents do not exist yet gets them (as mkdir -p would make them), so the staging directory fits
  // beside it; from here on only the parent's real path is used (target-path.ts)
  const parent = safeParent(dirname(resolve(target)), uid, target, true);
  dest = join(parent, basename(dest));
  const staging = join(parent, `${STAGING_PREFIX}${randomBytes(8).toString('hex')}`);
  try {
    mkdirSync(staging, { mode: 0o700 });
  } catch (e) {
    throw fileSystemError(e, 'create a directory in', parent);
  }
  const record = options.home === undefined ? undefined : join(options.home, 'restores', `${basename(staging)}.json`);
  if (record !== undefined) {
    mkdirSync(dirname(record), { recursive: true, mode: 0o700 });
    writeFileSync(record, JSON.stringify({ path: staging, pid: process.pid }), { mode: 0o600 });
  }
  const onSignal = () => rmSync(staging, { recursive: true, force: true });
  process.once('SIGINT', onSignal);
  try {
    const result = await restoreInto(repo, snapshot, staging, options);
    cancelled(signal);
    chmodSync(staging, 0o777 & ~process.umask());
    if (targetExists) rmdirSync(dest);
    renameSync(staging, dest);
    return result;
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    throw inTarget(e, staging, resolve(target));
  } finally {
    process.removeListener('SIGINT', onSignal);
    if (record !== undefined) rmSync(record, { force: true });
  }
}

/**
 * Recreates a FIFO (mkfifo) or, as root, a device node (mknod): node:fs has neither call, so the coreutils
 * commands do it, one process per entry (they are rare). True when made, else why not.
 */
function makeSpecial(path: string, node: SpecialNode, isRoot: boolean): true | string {
  let args: string[];
  if (node.type === 'fifo') args = ['mkfifo', '-m', '600', path];
  else {
    if (!isRoot) return `${node.type === 'chardev' ? 'character' : 'block'} device not restored: creating device nodes needs root`;
    const rdev = BigInt(node.rdev ?? '0');
    // Linux's device number encoding (glibc gnu_dev_major/minor)
    const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
    const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
    args = ['mknod', '-m', '600', path, node.type === 'chardev' ? 'c' : 'b', major.toString(), minor.toString()];
  }
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status === 0) return true;
  return `${node.type} not restored: ${args[0]} failed${r.error ? ` (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` : ''}`;
}

async function restoreInto(repo: RestoreSource, snapshot: Snapshot, root: string, options: RestoreOptions): Promise<RestoreResult> {
  const signal = options.signal;
  const umask = process.umask();
  const isRoot = process.getuid?.() === 0;
  const selection = (options.include?.length ?? 0) + (options.exclude?.length ?? 0) === 0 ? undefined : new Selection(snapshot, options.include ?? [], options.exclude ?? []);
  const dirs: { path: string; node: TreeNode }[] = [];
  const files: PlannedFile[] = [];
  const hardlinks: { path: string; first: PlannedFile }[] = [];
  const symlinks: { path: string; node: TreeNode & { type: 'symlink' } }[] = [];
  const specials: { path: string; node: SpecialNode }[] = [];
  const byInode = new Map<string, PlannedFile>();
  const uses = new Map<string, { file: PlannedFile; offset: number }[]>();
  const result: RestoreResult = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, specials: 0, bytes: 0, warnings: [] };
  const warn = (path: string, message: string) => {
    const w = { path: path.slice(root.length + 1), message };
    result.warnings.push(w);
    options.onWarning?.(w);
  };

  // 1. Walk the trees: create directories and empty files, collect where every blob goes. Returns how many
  //    entries it selected, so a directory kept only in case something inside was wanted can go again. The
  //    snapshot's trees are measured first (each distinct tree once): too deep, too many entries or a tree inside
  //    itself is refused before anything is created (docs/repository.md "Limits").
  await treeShape(repo, snapshot.tree, { signal });
  const walk = async (treeId: string, dir: string, rel: string[]): Promise<number> => {
    cancelled(signal);
    const tree = await repo.tree(treeId, { signal });
    let selected = 0;
    for (const node of tree.nodes) {
      const path = join(dir, node.name);
      const nodeRel = [...rel, node.name];
      const verdict = selection === undefined ? 'in' : selection.verdict(nodeRel, node.type === 'dir');
      if (verdict === 'out') continue;
      if (node.type === 'dir') {
        mkdirSync(path, { mode: 0o700 });
        const at = dirs.length;
        dirs.push({ path, node });
        const inside = await walk(node.subtree, path, nodeRel);
        if (verdict === 'maybe' && inside === 0) {
          rmdirSync(path);
          dirs.length = at;
          continue;
        }
        result.dirs++;
        selected += 1 + inside;
        continue;
      }
      selected++;
      if (node.type === 'symlink') {
        symlinks.push({ path, node });
      } else if (node.type !== 'file') {
        specials.push({ path, node });
      } else {
        const linkKey = node.links !== undefined && node.links > 1 && node.inode !== undefined ? node.inode : undefined;
        const first = linkKey === undefined ? undefined : byInode.get(linkKey);
        if (first !== undefined) {
          hardlinks.push({ path, first });
          continue;
        }
        let total = 0;
        for (const id of node.content) {
          const loc = repo.index.lookup(id);
          if (loc === undefined) throw damaged(`blob ${id} of ${nodeRel.join('/')} is not in the index${repo.skippedIndexes()}`);
          total += loc.blob.u;
        }
        if (total !== node.size) throw damaged(`${nodeRel.join('/')}: its blobs hold ${total} bytes, the tree says ${node.size}`);
        const fd = openSync(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600);
        closeSync(fd);
        const file: PlannedFile = { path, node, written: 0 };
        files.push(file);
        if (linkKey !== undefined) byInode.set(linkKey, file);
        let offset = 0;
        for (const id of node.content) {
          let list = uses.get(id);
          if (list === undefined) uses.set(id, (list = []));
          list.push({ file, offset });
          offset += repo.index.lookup(id)!.blob.u;
        }
      }
    }
    return selected;
  };
  await walk(snapshot.tree, root, []);
  const unmatched = selection?.unmatched();
  if (unmatched !== undefined) throw unmatched;

  // 2. Fetch the blobs pack by pack (in order of first use) and write them where they go.
  const packs = new Map<string, { pack: PackEntry; blobs: BlobEntry[] }>();
  for (const id of uses.keys()) {
    const loc = repo.index.lookup(id)!;
    let p = packs.get(loc.pack.id);
    if (p === undefined) packs.set(loc.pack.id, (p = { pack: loc.pack, blobs: [] }));
    p.blobs.push(loc.blob);
  }
  const totalBytes = files.reduce((n, f) => n + f.node.size, 0);
  const progress = { files: 0, bytes: 0, totalFiles: files.length, totalBytes };
  let lastReport = 0;
  // The blob workers write the plaintext straight into the files (positional writes); here only the accounting.
  await parallel([...packs.values()], options.parallel ?? 4, async ({ pack, blobs }) => {
    cancelled(signal);
    options.beforePack?.(pack.id);
    await readBlobs(repo, pack, blobs, (blob) => {
      for (const use of uses.get(blob.id) ?? []) {
        use.file.written += blob.u;
        progress.bytes += blob.u;
        if (use.file.written === use.file.node.size) progress.files++;
      }
      const now = Date.now();
      if (options.onProgress !== undefined && now - lastReport > 100) {
        lastReport = now;
        options.onProgress({ ...progress });
      }
    }, { signal, writeTo: (blob) => (uses.get(blob.id) ?? []).map((use): [string, number] => [use.file.path, use.offset]) });
  });
  cancelled(signal);
  for (const f of files) {
    // blobs of zeros were left as holes (blobs/blob-ops.ts): a file that ends in one gets its length back the same way
    const size = f.written === f.node.size ? lstatSync(f.path).size : -1;
    if (size >= 0 && size < f.node.size) truncateSync(f.path, f.node.size);
    else if (size !== f.node.size) throw damaged(`${f.path.slice(root.length + 1)} restored with the wrong size`);
  }
  progress.files = files.length;
  options.onProgress?.({ ...progress });

  // 3. Hard links, FIFOs and device nodes, then symlinks (nothing is written after them, so none is ever written
  //    through).
  for (const h of hardlinks) linkSync(h.first.path, h.path);
  for (const sp of specials) {
    const made = makeSpecial(sp.path, sp.node, isRoot);
    if (made === true) result.specials++;
    else warn(sp.path, made);
  }
  for (const s of symlinks) symlinkSync(s.node.target, s.path);

  // 4. Metadata: files and links, then directories deepest first (their times change as entries appear).
  // Seconds as a double (what node:fs takes): half a microsecond more, so the kernel's truncation keeps the µs.
  const seconds = (ns: string) => Number(BigInt(ns) / 1000n) / 1e6 + 5e-7;
  // extended attributes first: a file made read-only by its mode would refuse them. POSIX ACLs
  // (system.posix_acl_*) last: a chmod rewrites an access ACL's mask, and the ACL is what the owner set.
  const xattrsOf = (path: string, node: TreeNode, acls: boolean) => {
    if (node.xattrs === undefined) return;
    const picked = Object.fromEntries(Object.entries(node.xattrs).filter(([name]) => isAcl(name) === acls));
    for (const f of writeXattrs(path, picked)) warn(path, `extended attribute ${f.name} not restored: ${f.error}`);
  };
  for (const f of files) xattrsOf(f.path, f.node, false);
  for (const sp of specials) if (existsSync(sp.path)) xattrsOf(sp.path, sp.node, false);
  for (const d of dirs) xattrsOf(d.path, d.node, false);
  for (const sp of specials) {
    if (!existsSync(sp.path)) continue;
    if (isRoot) chownSync(sp.path, sp.node.uid, sp.node.gid);
    chmodSync(sp.path, sp.node.mode & ~umask);
    xattrsOf(sp.path, sp.node, true);
    utimesSync(sp.path, seconds(sp.node.mtime), seconds(sp.node.mtime));
  }
  for (const f of files) {
    if (isRoot) chownSync(f.path, f.node.uid, f.node.gid);
    chmodSync(f.path, f.node.mode & ~umask);
    xattrsOf(f.path, f.node, true);
    utimesSync(f.path, seconds(f.node.mtime), seconds(f.node.mtime));
    result.files++;
    result.bytes += f.node.size;
  }
  for (const s of symlinks) {
    if (isRoot) lchownSync(s.path, s.node.uid, s.node.gid);
    lutimesSync(s.path, seconds(s.node.mtime), seconds(s.node.mtime));
    result.symlinks++;
  }
  result.hardlinks = hardlinks.length;
  for (const d of dirs.reverse()) {
    if (isRoot) chownSync(d.path, d.node.uid, d.node.gid);
    chmodSync(d.path, d.node.mode & ~umask);
    xattrsOf(d.path, d.node, true);
    utimesSync(d.path, seconds(d.node.mtime), seconds(d.node.mtime));
  }
  return result;
}
