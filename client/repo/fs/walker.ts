// The one file-system walker, shared by the backup (commands/backup.ts) and the scan that sizes a progress bar
// (fs/scan.ts): a directory's names are read as bytes and kept only when they are valid UTF-8 (a tree stores UTF-8
// names: docs/repository.md "Trees"), each entry is lstat'ed (a symlink is never followed), and the rules are
// applied in one place: the exclude patterns and files (fs/exclude.ts), a directory excluded by its contents
// (CACHEDIR.TAG, --exclude-if-present), and --one-file-system (a directory on another device than its root is left
// out). What it cannot read is reported to its owner, never thrown. It is restic's internal/archiver Select and the
// readdir/lstat half of its tree walk; building trees stays with the backup.

import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { Excluder, type ExcludeOptions } from './exclude.js';

export interface WalkOptions extends ExcludeOptions {
  /** Leave out directories on another device than the root they were reached from. */
  oneFileSystem?: boolean;
}

/** An entry the rules keep. */
export interface WalkEntry {
  name: string;
  path: string;
  st: BigIntStats;
}

/** What the walker could not read or cannot keep: an entry skipped, or one a snapshot cannot hold. */
export type WalkWarn = (path: string, message: string, kind: 'skipped' | 'unsupported') => void;

function utf8Name(raw: Buffer): string | undefined {
  const s = raw.toString('utf8');
  // the decoder turns every invalid sequence into U+FFFD: without one the name is valid UTF-8 as it is
  if (!s.includes('\uFFFD')) return s;
  return Buffer.from(s, 'utf8').equals(raw) ? s : undefined;
}

export class Walker {
  private readonly excluder: Excluder;

  constructor(private readonly options: WalkOptions = {}, private readonly warn: WalkWarn = () => undefined) {
    this.excluder = Excluder.fromOptions(options);
  }

  /**
   * The entries of directory `path` the rules keep, in the order the directory lists them, each lstat'ed as it is
   * reached (undefined, with a warning, when the directory cannot be read). `rootDev`: the device of the root path
   * the walk started from.
   */
  readDir(path: string, rootDev: bigint): Iterable<WalkEntry> | undefined {
    let raw: Buffer[];
    try {
      raw = readdirSync(path, { encoding: 'buffer' });
    } catch (e) {
      this.warn(path, `cannot read directory: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
      return undefined;
    }
    return this.entries(path, raw, rootDev);
  }

  private *entries(path: string, raw: Buffer[], rootDev: bigint): Generator<WalkEntry> {
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
        if (this.options.oneFileSystem && st.dev !== rootDev) continue;
        if (this.excluder.excludesDirectory(full)) continue;
      }
      yield { name, path: full, st };
    }
  }
}
