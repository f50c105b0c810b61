// `bkv forget --keep-last N --keep-daily N --keep-weekly N --keep-monthly N [--dry-run]`: deletes the snapshots
// the rules do not keep, per group (host + paths), and names every one it deletes. `bkv prune` frees the data.
// `--json`: one object on stdout, {"dryRun","groups":[{"host","paths","keep":[id…],"remove":[id…]}]} (each
// deletion is still named on stderr).

import { BkvError } from '../../../protocol/errors.js';
import { forget as runForget } from '../../repo/forget.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export interface ForgetFlags extends RepoFlags {
  keepLast?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  dryRun?: boolean;
  json?: boolean;
}

function count(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,6}$/.test(v)) throw new BkvError('bad-request', `--${name} takes a whole number`);
  return Number(v);
}

export async function forget(flags: ForgetFlags, session = new Session(flags)): Promise<void> {
  const policy = {
    last: count(flags.keepLast, 'keep-last'), daily: count(flags.keepDaily, 'keep-daily'),
    weekly: count(flags.keepWeekly, 'keep-weekly'), monthly: count(flags.keepMonthly, 'keep-monthly'),
  };
  const groups = await withRepository(flags, session, (repo, signal) => runForget(repo, {
    policy, dryRun: flags.dryRun, signal,
    onDelete: (s) => session.say(`deleted snapshot ${s.id.slice(0, 8)} (${s.time}, ${s.host}: ${s.paths.join(' ')})`),
  }));
  if (flags.json) {
    const ids = (list: { id: string }[]) => list.map((x) => x.id);
    process.stdout.write(`${JSON.stringify({ dryRun: Boolean(flags.dryRun), groups: groups.map((g) => ({ host: g.host, paths: g.paths, keep: ids(g.keep), remove: ids(g.remove) })) })}\n`);
    return;
  }
  for (const g of groups) {
    session.say(`${g.host}: ${g.paths.join(' ')}: keeping ${g.keep.length}, ${flags.dryRun ? 'would delete' : 'deleted'} ${g.remove.length}`);
    if (flags.dryRun) for (const s of g.remove) session.say(`  would delete ${s.id.slice(0, 8)} (${s.time})`);
  }
}
