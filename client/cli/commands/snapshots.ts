// `bkv snapshots [--json]`: the repository's snapshots, oldest first, grouped by nothing (forget groups them).

import { newestFirst } from '../../repo/snapshot.js';
import { formatBytes } from '../progress.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export interface SnapshotsFlags extends RepoFlags {
  json?: boolean;
}

export async function snapshots(flags: SnapshotsFlags, session = new Session(flags)): Promise<void> {
  const list = await withRepository(flags, session, (repo, signal) => repo.snapshots({ signal }));
  list.sort(newestFirst).reverse();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(list)}\n`);
    return;
  }
  const lines = list.map((s) => `${s.id.slice(0, 8)}  ${s.time.slice(0, 19).replace('T', ' ')}  ${s.host}  ${formatBytes(s.summary.bytes).padStart(10)}  ${s.paths.join(' ')}${s.tags.length ? `  [${s.tags.join(',')}]` : ''}${s.incomplete ? '  (incomplete)' : ''}`);
  process.stdout.write(lines.length ? `${lines.join('\n')}\n` : '');
  if (lines.length === 0) session.say('no snapshots yet');
}
