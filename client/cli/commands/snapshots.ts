// `bkv snapshots [--host H] [--tag T] [--path P] [--json]`: the repository's snapshots, oldest first, grouped by
// nothing (forget groups them), filtered as restic filters them (client/repo/snapshots/snapshot-filter.ts).

import { newestFirst } from '../../repo/snapshot.js';
import { filterSnapshots } from '../../repo/snapshots/snapshot-filter.js';
import { formatBytes } from '../progress.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

/** `--host`, `--tag` and `--path`, each repeatable, as every command that picks snapshots takes them. */
export interface FilterFlags {
  host?: string[];
  tag?: string[];
  path?: string[];
}

export interface SnapshotsFlags extends RepoFlags, FilterFlags {
  json?: boolean;
}

export async function snapshots(flags: SnapshotsFlags, session = new Session(flags)): Promise<void> {
  const all = await withRepository(flags, session, (repo, signal) => repo.snapshots({ signal }));
  const list = filterSnapshots(all, { hosts: flags.host, tags: flags.tag, paths: flags.path });
  list.sort(newestFirst).reverse();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(list)}\n`);
    return;
  }
  const lines = list.map((s) => `${s.id.slice(0, 8)}  ${s.time.slice(0, 19).replace('T', ' ')}  ${s.host}  ${formatBytes(s.summary.bytes).padStart(10)}  ${s.paths.join(' ')}${s.tags.length ? `  [${s.tags.join(',')}]` : ''}${s.incomplete ? '  (incomplete)' : ''}`);
  process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
  if (lines.length === 0) session.say(all.length === 0 ? 'no snapshots yet' : `none of the ${all.length} snapshots matches`);
}
