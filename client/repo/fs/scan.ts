// The totals a backup of some paths would walk, for a progress bar's total and ETA: the same walker and rules as
// the backup (fs/walker.ts), lstat only, nothing read. A file with more than one link counts once in bytes, as the
// backup reads it once (it finds hard links by inode), and once per link in files.

import { lstatSync, type BigIntStats } from 'node:fs';
import { resolve } from 'node:path';
import { Walker, type WalkOptions } from './walker.js';

/** Files and bytes a backup of `paths` would walk. */
export function scanTotals(paths: readonly string[], options: WalkOptions = {}): { files: number; bytes: number } {
  const walker = new Walker(options);
  const totals = { files: 0, bytes: 0 };
  const linked = new Set<string>();
  const visit = (path: string, st: BigIntStats, rootDev: bigint) => {
    if (st.isFile()) {
      totals.files++;
      if (st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        if (linked.has(key)) return;
        linked.add(key);
      }
      totals.bytes += Number(st.size);
    } else if (st.isDirectory()) {
      for (const e of walker.readDir(path, rootDev) ?? []) visit(e.path, e.st, rootDev);
    }
  };
  for (const p of paths) {
    let st: BigIntStats;
    try {
      st = lstatSync(resolve(p), { bigint: true });
    } catch {
      continue;
    }
    visit(resolve(p), st, st.dev);
  }
  return totals;
}
