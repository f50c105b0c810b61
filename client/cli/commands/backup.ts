// `bkv backup <path>...`: one snapshot of the paths into the account's repository (client/repo/commands/backup.ts):
// unchanged files are not read again, known chunks are not uploaded again. Prints the snapshot id on stdout
// and a summary on stderr (or one JSON object with --json, progress then as JSON lines on stderr). Exit 6 when
// files had to be skipped: the snapshot is committed but marked incomplete (README "Exit codes").

import { readFileSync } from 'node:fs';
import { checkBackupPaths, checkStdinName, backup as runBackup, scanTotals } from '../../repo/commands/backup.js';
import { Excluder } from '../../repo/fs/exclude.js';
import { ClientError, fileSystemError } from '../../errors.js';
import { formatBytes, openProgress, progressMode } from '../progress.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export interface BackupFlags extends RepoFlags {
  tag?: string[];
  exclude?: string[];
  excludeFile?: string[];
  iexclude?: string[];
  iexcludeFile?: string[];
  excludeIfPresent?: string[];
  excludeCaches?: boolean;
  filesFrom?: string[];
  filesFromRaw?: string[];
  stdin?: boolean;
  stdinFilename?: string;
  oneFileSystem?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** What `--files-from` and `--files-from-raw` list, after the paths given as arguments. */
export function listedPaths(paths: readonly string[], flags: Pick<BackupFlags, 'filesFrom' | 'filesFromRaw'>): string[] {
  const read = (file: string) => {
    try {
      return readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw fileSystemError(e, 'read', file);
    }
  };
  const lines = (flags.filesFrom ?? []).flatMap((f) => read(f).split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#')));
  const raw = (flags.filesFromRaw ?? []).flatMap((f) => read(f).split('\0').filter((l) => l !== ''));
  return [...paths, ...lines, ...raw];
}

export async function backup(given: string[], flags: BackupFlags, session = new Session(flags)): Promise<void> {
  const started = Date.now();
  const paths = listedPaths(given, flags);
  const excludes = {
    exclude: flags.exclude, excludeFiles: flags.excludeFile, iexclude: flags.iexclude, iexcludeFiles: flags.iexcludeFile,
    excludeIfPresent: flags.excludeIfPresent, excludeCaches: flags.excludeCaches,
  };
  // before signing in or locking anything: a path that cannot be backed up is an error, never an empty snapshot
  const stdin = flags.stdin ? { name: flags.stdinFilename ?? 'stdin' } : undefined;
  if (stdin !== undefined) {
    checkStdinName(stdin.name, paths);
    if (process.stdin.isTTY) throw new ClientError('usage', '--stdin backs up what is piped in (pg_dump db | bkv backup --stdin), not a terminal');
  } else {
    if (flags.stdinFilename !== undefined) throw new ClientError('usage', '--stdin-filename goes with --stdin');
    checkBackupPaths(paths);
  }
  Excluder.fromOptions(excludes); // an exclude file that cannot be read, before anything starts
  const result = await withRepository(flags, session, async (repo, signal) => {
    const mode = progressMode(flags);
    // the totals (one lstat walk before the backup) only when progress is shown
    const total = mode === 'none' || stdin !== undefined ? undefined : scanTotals(paths, { ...excludes, oneFileSystem: flags.oneFileSystem });
    const progress = openProgress('backup', mode);
    try {
      return await runBackup(repo, {
        paths, ...(stdin !== undefined ? { stdin } : {}), tags: flags.tag, ...excludes, oneFileSystem: flags.oneFileSystem, signal,
        capYoungGeneration: true, // this process is the CLI's own
        onProgress: (p) => progress.update({
          done: p.bytes, total: Math.max(total?.bytes ?? p.bytes, p.bytes), files: p.files, totalFiles: Math.max(total?.files ?? p.files, p.files),
        }),
        // --quiet hides only files that changed while read (they are stored); never what is not in the snapshot
        onWarning: (w) => { if (!flags.quiet || w.kind !== 'changed') session.say(`warning: ${w.path}: ${w.message}`); },
      });
    } finally {
      progress.stop();
    }
  }, { create: true });
  const s = result.snapshot;
  const seconds = (Date.now() - started) / 1000;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ snapshot: s.id, incomplete: s.incomplete, skipped: s.skipped, summary: s.summary, seconds })}\n`);
  } else {
    if (!flags.quiet) {
      const m = s.summary;
      session.say(`snapshot ${s.id.slice(0, 8)} saved: ${m.files} files, ${m.dirs} dirs, ${m.symlinks} symlinks, ${formatBytes(m.bytes)}; `
        + `new ${formatBytes(m.newBytes)}, uploaded ${formatBytes(m.uploadedBytes)} in ${seconds.toFixed(1)} s`);
    }
    process.stdout.write(`${s.id}\n`);
  }
  if (s.incomplete) {
    throw new ClientError('incomplete', `snapshot ${s.id.slice(0, 8)} is incomplete: ${s.skipped.length} entr${s.skipped.length === 1 ? 'y' : 'ies'} not stored (listed above)`, { skipped: s.skipped.length });
  }
}
