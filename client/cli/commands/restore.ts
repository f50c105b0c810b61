// `bkv restore <snapshot|latest> <target> [--include P]... [--exclude P]...`: restores a snapshot into a new directory
// (client/repo/commands/restore.ts: a staging directory beside it, renamed into place once complete; removed on any
// error or Ctrl-C). The key is --key-file, this device's K, --key (the 64-digit key), or the vault password on
// a device without K, which then keeps it. `latest` is the newest snapshot (of this host and --path if given).

import { hostname } from 'node:os';
import { ClientError } from '../../errors.js';
import { findSnapshot } from '../../repo/snapshots/find.js';
import { restore as runRestore } from '../../repo/commands/restore.js';
import { formatBytes, openProgress, progressMode } from '../progress.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export interface RestoreFlags extends RepoFlags {
  include?: string[];
  exclude?: string[];
  path?: string[];
  key?: boolean;
  yes?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function restore(ref: string, target: string, flags: RestoreFlags, session = new Session(flags)): Promise<void> {
  const started = Date.now();
  const result = await withRepository(flags, session, async (repo, signal, source, key) => {
    const snapshot = await findSnapshot(repo, ref, { host: hostname(), paths: flags.path, signal });
    if (!flags.quiet && !flags.json) session.say(`restoring snapshot ${snapshot.id.slice(0, 8)} (${snapshot.time}, ${snapshot.paths.join(' ')}) into ${target}`);
    const progress = openProgress('restore', progressMode(flags));
    try {
      const r = await runRestore(repo, snapshot, target, {
        include: flags.include, exclude: flags.exclude, home: session.device.home, signal,
        onProgress: (p) => progress.update({ done: p.bytes, total: p.totalBytes, files: p.files, totalFiles: p.totalFiles }),
        // never hidden by --quiet: what could not be restored as it was stored
        onWarning: (w) => session.say(`warning: ${w.path}: ${w.message}`),
      });
      if (source === 'password' || source === 'key') {
        if (!(await session.deviceKey())) {
          const path = await session.keepKey(key, source);
          session.say(`this device now keeps the backup key of ${(await session.owner()).account} (${path}).`);
        }
      }
      return { ...r, snapshot: snapshot.id };
    } finally {
      progress.stop();
    }
  }, { recover: true });
  const seconds = (Date.now() - started) / 1000;
  if (flags.json) process.stdout.write(`${JSON.stringify({ ...result, target, seconds })}\n`);
  else if (!flags.quiet) {
    session.say(`restored ${result.files} files, ${result.dirs} dirs, ${result.symlinks} symlinks, ${result.hardlinks} hard links`
      + `${result.specials ? `, ${result.specials} FIFOs and devices` : ''} (${formatBytes(result.bytes)}) in ${seconds.toFixed(1)} s`);
  }
  if (result.warnings.length > 0) {
    throw new ClientError('incomplete', `restored into ${target}, but ${result.warnings.length} entr${result.warnings.length === 1 ? 'y is' : 'ies are'} not as stored (listed above)`, { skipped: result.warnings.length });
  }
}
