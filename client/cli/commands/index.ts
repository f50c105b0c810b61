// The `bkv` commands as commander sees them: names, arguments, options and descriptions. Each action loads its
// command's module only when that command runs, so a command pays only for what it uses (OPAQUE's WASM, zod,
// tar and the HTTP clients cost `bkv encrypt` ~20 MiB of memory and start-up time it has no use for).

import type { Command } from 'commander';
import type { Session } from '../session.js';
import { type ConnectionFlags } from '../options.js';
import type { CryptFlags } from './crypt.js';
import type { DeleteFlags } from './delete.js';
import type { InitFlags } from './init.js';
import type { PasswdFlags } from './passwd.js';
import type { PruneFlags } from './prune.js';
import type { RestoreFlags } from './restore.js';
import type { BackupFlags } from './backup.js';
import type { ForgetFlags } from './forget.js';
import type { RepoFlags } from './repo-common.js';
import type { FilterFlags, SnapshotsFlags } from './snapshots.js';
import type { FindFlags } from './find.js';
import type { StatusFlags } from './status.js';
import type { CheckFlags } from './check.js';
import type { KeyShowFlags } from './key-show.js';
import type { KeyFetchFlags } from './key-fetch.js';
import type { UndeleteFlags } from './undelete.js';

export interface CliContext {
  /** The password-recovery worker script (client/cli/vault-worker.ts or its bundle); without it, this thread. */
  vaultWorker?: URL;
}

/** A command's options merged with the program's global ones (client/cli/options.ts). */
function flagsOf<T>(cmd: Command): T {
  return cmd.optsWithGlobals<T & Record<string, unknown>>();
}

export function registerCommands(program: Command, context: CliContext = {}): void {
  const session = async (flags: ConnectionFlags): Promise<Session> =>
    new (await import('../session.js')).Session(flags, process.env, { vaultWorker: context.vaultWorker });
  program.command('login')
    .description('sign this device in with the server\'s identity provider (opens a browser; BROWSER=none prints the page)')
    .action(async (_: unknown, cmd: Command) => {
      const flags = flagsOf<ConnectionFlags>(cmd);
      return (await import('./login.js')).login(flags, await session(flags));
    });
  program.command('logout')
    .description('revoke and forget this device\'s sign-in')
    .action(async (_: unknown, cmd: Command) => {
      const flags = flagsOf<ConnectionFlags>(cmd);
      return (await import('./logout.js')).logout(flags, await session(flags));
    });

  program.command('init')
    .description('make a new backup key on this device, kept behind a password in the vault (default) or as a 64-digit key')
    .option('--password', 'keep the key in the vault behind a password (default)')
    .option('--key', 'print the key once as 64 digits to write down; the server keeps nothing')
    .option('--force', 'replace an existing key on this device or in the vault')
    .option('--generate-password', 'make a strong password (six random words) and show it once, instead of asking')
    .option('--yes', 'accept a weak password without asking (an obviously weak one is still refused)')
    .action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<InitFlags>(cmd);
    return (await import('./init.js')).init(flags, await session(flags));
  });

  const collect = (v: string, prev: string[] = []) => [...prev, v];
  const repo = (cmd: Command) => cmd.option('--key-file <file>', 'file holding the 64-digit key (instead of this device\'s key)')
    .option('--accept-rollback', 'accept that the server lists no snapshot as new as one this device has seen (another device of yours forgot it)');
  /** `--host`, `--tag` and `--path`: which snapshots a command looks at (client/repo/snapshots/snapshot-filter.ts). */
  const filters = (cmd: Command) => cmd
    .option('--host <host>', 'only snapshots of this host (repeatable)', collect)
    .option('--tag <tags>', 'only snapshots with these tags (a,b: both; repeatable: either)', collect)
    .option('--path <path>', 'only snapshots that include this path (repeatable: all of them)', collect);

  repo(
    program.command('backup')
      .description('back up paths as a new snapshot: unchanged files are not read again, known chunks not uploaded again')
      .argument('[path...]', 'files or directories to back up')
      .option('--tag <tag>', 'tag the snapshot (repeatable)', collect)
      .option('--exclude <pattern>', 'skip paths matching a glob: ** spans whole components, a leading / anchors, !p re-includes (repeatable; README "Excluding files")', collect)
      .option('--exclude-file <file>', 'read exclude patterns from a file, one per line (repeatable)', collect)
      .option('--iexclude <pattern>', 'like --exclude, ignoring case (repeatable)', collect)
      .option('--iexclude-file <file>', 'like --exclude-file, ignoring case (repeatable)', collect)
      .option('--exclude-if-present <name[:header]>', 'skip a directory that holds this file (starting with header, when given) (repeatable)', collect)
      .option('--exclude-caches', 'skip directories tagged as caches (a CACHEDIR.TAG file with its signature)')
      .option('--files-from <file>', 'back up the paths listed in a file, one per line (# comments; repeatable)', collect)
      .option('--files-from-raw <file>', 'back up the paths listed in a file, separated by NUL bytes, as find -print0 writes (repeatable)', collect)
      .option('--stdin', 'back up what is piped in (a database dump, say) as one file, deduplicated like any file')
      .option('--stdin-filename <name>', 'with --stdin: the file\'s name in the snapshot (default stdin)')
      .option('--one-file-system', 'do not cross into other file systems')
      .option('--json', 'print the result as one JSON object (progress as JSON lines on stderr)')
      .option('--quiet', 'print only the snapshot id and warnings about skipped files'),
  ).action(async (paths: string[], _flags: unknown, cmd: Command) => {
    const flags = flagsOf<BackupFlags>(cmd);
    return (await import('./backup.js')).backup(paths, flags, await session(flags));
  });

  repo(
    filters(program.command('snapshots')
      .description('list the snapshots of the repository'))
      .option('--json', 'print one JSON array'),
  ).action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<SnapshotsFlags>(cmd);
    return (await import('./snapshots.js')).snapshots(flags, await session(flags));
  });

  repo(
    program.command('ls')
      .description('list the entries of a snapshot (or below a path in it)')
      .argument('<snapshot>', 'snapshot id, unique prefix, or latest')
      .argument('[path]', 'path inside the snapshot')
      .option('--json', 'one JSON object per line'),
  ).action(async (ref: string, path: string | undefined, _flags: unknown, cmd: Command) => {
    const flags = flagsOf<RepoFlags & { json?: boolean }>(cmd);
    return (await import('./ls.js')).ls(ref, path, flags, await session(flags));
  });

  repo(
    program.command('restore')
      .description('restore a snapshot into a new directory (it appears only once complete; nothing is left behind if interrupted)')
      .argument('<snapshot>', 'snapshot id, unique prefix, or latest')
      .argument('<target>', 'directory to create (or an empty one)')
      .option('--include <pattern>', 'restore only what matches, as backup --exclude patterns (a path in the snapshot, or a glob; repeatable)', collect)
      .option('--exclude <pattern>', 'do not restore what matches (repeatable)', collect)
      .option('--path <path>', 'with latest: the newest snapshot of this host and these backed-up paths (repeatable)', collect)
      .option('--key', 'use the 64-digit key (asked for, or env BKV_KEY) instead of the device key or the password')
      .option('--yes', 'use the last password attempt without asking')
      .option('--json', 'print the result as one JSON object (progress as JSON lines on stderr)')
      .option('--quiet', 'print nothing but warnings and errors'),
  ).action(async (ref: string, target: string, _flags: unknown, cmd: Command) => {
    const flags = flagsOf<RestoreFlags>(cmd);
    return (await import('./restore.js')).restore(ref, target, flags, await session(flags));
  });

  repo(
    program.command('dump')
      .description('write one file of a snapshot to stdout')
      .argument('<snapshot>', 'snapshot id, unique prefix, or latest')
      .argument('<path>', 'path of the file inside the snapshot'),
  ).action(async (ref: string, path: string, _flags: unknown, cmd: Command) => {
    const flags = flagsOf<RepoFlags>(cmd);
    return (await import('./dump.js')).dump(ref, path, flags, await session(flags));
  });

  repo(
    program.command('forget')
      .description('delete snapshots not kept by the rules, per group of host and paths (each deletion is named)')
      .option('--keep-last <n>', 'keep the newest n snapshots')
      .option('--keep-hourly <n>', 'keep the newest snapshot of each of the last n hours that have one')
      .option('--keep-daily <n>', 'keep the newest snapshot of each of the last n days that have one')
      .option('--keep-weekly <n>', 'keep the newest snapshot of each of the last n weeks that have one')
      .option('--keep-monthly <n>', 'keep the newest snapshot of each of the last n months that have one')
      .option('--keep-yearly <n>', 'keep the newest snapshot of each of the last n years that have one')
      .option('--keep-within <duration>', 'keep every snapshot within this long of the group\'s newest (1y6m, 30d, 12h)')
      .option('--keep-tag <tag>', 'keep every snapshot with this tag (repeatable)', collect)
      .option('--host <host>', 'only snapshots of this host (repeatable)', collect)
      .option('--tag <tags>', 'only snapshots with these tags (a,b: both; repeatable: either)', collect)
      .option('--path <path>', 'only snapshots that include this path (repeatable: all of them)', collect)
      .option('--dry-run', 'only say what would be deleted (takes no lock)')
      .option('--prune', 'then free the data no snapshot references, as bkv prune')
      .option('--json', 'print the groups (kept and deleted snapshot ids) as one JSON object')
      .option('--quiet', 'print only each deletion'),
  ).action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<ForgetFlags>(cmd);
    return (await import('./forget.js')).forget(flags, await session(flags));
  });

  repo(
    program.command('prune')
      .description('delete the data no snapshot references (names what it deletes)')
      .option('--dry-run', 'only say what would be deleted (takes no lock; exactly what prune then does)')
      .option('--json', 'print the result as one JSON object (progress as JSON lines on stderr)')
      .option('--quiet', 'no progress and no summary (each deletion is still named)'),
  ).action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<PruneFlags>(cmd);
    return (await import('./prune.js')).prune(flags, await session(flags));
  });

  repo(
    program.command('undelete')
      .description('bring back the backups\' objects deleted since a time (forget, prune, delete --backups), within the server\'s retention')
      .option('--as-of <time>', 'undo every deletion after this time: an ISO time with a zone, or 30m, 2h, 3d ago')
      .option('--snapshot <id>', 'bring back only this snapshot and the objects it needs (deleted after --as-of, or at any time still kept)')
      .option('--json', 'print the restored objects as one JSON object'),
  ).action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<UndeleteFlags>(cmd);
    return (await import('./undelete.js')).undelete(flags, await session(flags));
  });

  repo(
    program.command('check')
      .description('check the repository\'s structure (exit 5 if damaged)')
      .option('--read-data', 'also decrypt every pack and verify every chunk')
      .option('--json', 'print the result (counts and errors) as one JSON object (progress as JSON lines on stderr)'),
  ).action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<CheckFlags>(cmd);
    return (await import('./check.js')).check(flags, await session(flags));
  });

  repo(
    filters(program.command('find')
      .description('find entries whose original path matches a pattern, in every snapshot (or the chosen ones)')
      .argument('<pattern...>', 'patterns as for backup --exclude: *.jpg, Documents/taxes, /home/me/notes.txt')
      .option('--snapshot <id>', 'search only this snapshot (repeatable; id, prefix or latest)', collect))
      .option('--ignore-case', 'match regardless of case')
      .option('--json', 'one JSON object per line'),
  ).action(async (patterns: string[], _flags: unknown, cmd: Command) => {
    const flags = flagsOf<FindFlags>(cmd);
    return (await import('./find.js')).find(patterns, flags, await session(flags));
  });

  repo(
    program.command('diff')
      .description('what changed between two snapshots: + added, - removed, M content, T type, U metadata')
      .argument('<a>', 'snapshot id, unique prefix, or latest')
      .argument('<b>', 'snapshot id, unique prefix, or latest')
      .option('--json', 'print the changes and the summary as one JSON object'),
  ).action(async (a: string, b: string, _flags: unknown, cmd: Command) => {
    const flags = flagsOf<RepoFlags & { json?: boolean }>(cmd);
    return (await import('./diff.js')).diff(a, b, flags, await session(flags));
  });

  repo(
    filters(program.command('stats')
      .description('restore size, unique data after deduplication, what is stored, and the ratios')
      .argument('[snapshot...]', 'these snapshots (default: every snapshot the filters pass)'))
      .option('--json', 'print the figures as one JSON object'),
  ).action(async (refs: string[], _flags: unknown, cmd: Command) => {
    const flags = flagsOf<RepoFlags & FilterFlags & { json?: boolean }>(cmd);
    return (await import('./stats.js')).stats(refs, flags, await session(flags));
  });

  repo(program.command('unlock')
    .description('remove the repository locks this device\'s killed commands left (their process is gone or their lease ran out)'))
    .option('--remove-all', 'remove every lock of the repository, whoever holds it (asks first; needs the backup key)')
    .option('--yes', 'with --remove-all: do not ask (scripts)')
    .option('--json', 'print { removed: [lock ids], kept: [{ lockId, why }] }')
    .action(async (_flags: unknown, cmd: Command) => {
      const flags = flagsOf<import('./unlock.js').UnlockFlags>(cmd);
      return (await import('./unlock.js')).unlock(flags, await session(flags));
    });

  program.command('status')
    .description('show this device, the vault (attempts left, locked) and the backups')
    .option('--json', 'print one JSON object')
    .action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<StatusFlags>(cmd);
    return (await import('./status.js')).status(flags, await session(flags));
  });

  program.command('passwd')
    .description('change the password that protects the backup key in the vault (or put this device\'s key back there)')
    .option('--generate-password', 'make a strong new password (six random words) and show it once, instead of asking')
    .option('--yes', 'do not ask: use the last password attempt, accept a weak (not an obviously weak) new password')
    .action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<PasswdFlags>(cmd);
    return (await import('./passwd.js')).passwd(flags, await session(flags));
  });

  program.command('delete')
    .description('delete the key kept in the vault for this account (and with --backups, every backup)')
    .option('--backups', 'also delete every backup of the account')
    .option('--yes', 'do not ask')
    .action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<DeleteFlags>(cmd);
    return (await import('./delete.js')).remove(flags, await session(flags));
  });

  const key = program.command('key').description('backup key tools');
  key.command('new')
    .description('print a fresh 64-digit backup key')
    .option('--json', 'print { key }')
    .action(async (_flags: unknown, cmd: Command) => (await import('./key.js')).keyNew(process.stdout, flagsOf<{ json?: boolean }>(cmd)));
  key.command('age-identity')
    .description('read a 64-digit key on stdin and print its age identity (for age -d -i)')
    .option('--json', 'print { identity, recipient }')
    .action(async (_flags: unknown, cmd: Command) => (await import('./key.js')).keyAgeIdentity(process.stdin, flagsOf<{ json?: boolean }>(cmd)));
  key.command('show')
    .description('print the signed-in account\'s backup key on this device as the 64-digit key')
    .option('--json', 'print { account, server, key }')
    .action(async (_flags: unknown, cmd: Command) => {
      const flags = flagsOf<KeyShowFlags>(cmd);
      return (await import('./key-show.js')).keyShow(flags, await session(flags));
    });
  key.command('fetch')
    .description('get the signed-in account\'s backup key from the vault with the password and keep it on this device (restores nothing)')
    .option('--yes', 'use the last password attempt without asking')
    .option('--json', 'print { account, server, protection, path, fetched }')
    .action(async (_flags: unknown, cmd: Command) => {
      const flags = flagsOf<KeyFetchFlags>(cmd);
      return (await import('./key-fetch.js')).keyFetch(flags, await session(flags));
    });
  key.command('import')
    .description('keep a 64-digit key (stdin, a prompt or env BKV_KEY) on this device as the signed-in account\'s backup key')
    .option('--force', 'replace a different key this device keeps for the account')
    .option('--json', 'print { account, server, protection, path, fetched }')
    .action(async (_flags: unknown, cmd: Command) => {
      const flags = flagsOf<KeyFetchFlags>(cmd);
      return (await import('./key-fetch.js')).keyImport(flags, await session(flags));
    });

  program.command('encrypt')
    .description('encrypt stdin to stdout as a backup file (age v1) under the 64-digit key in the key file')
    .requiredOption('--key-file <file>', 'file holding the 64-digit key')
    .action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<CryptFlags>(cmd);
    return (await import('./crypt.js')).encryptCommand(flags);
  });
  program.command('decrypt')
    .description('decrypt a backup file (age v1) from stdin to stdout with the 64-digit key in the key file')
    .requiredOption('--key-file <file>', 'file holding the 64-digit key')
    .action(async (_flags: unknown, cmd: Command) => {
    const flags = flagsOf<CryptFlags>(cmd);
    return (await import('./crypt.js')).decryptCommand(flags);
  });
}
