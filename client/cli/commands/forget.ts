// `bkv forget --keep-… [--host H] [--tag T] [--path P] [--dry-run] [--prune] [--json]`: deletes the snapshots the
// rules do not keep, per group (host + paths), and names every one it deletes (client/repo/commands/forget.ts); with
// --prune it then frees the data no snapshot references, as `bkv prune` does. --json prints one object
// { dryRun, groups: [{ host, paths, keep: [ids], remove: [ids] }], prune? } on stdout (prune: as `bkv prune
// --json` prints it). `--dry-run --prune` shows what prune would free once the snapshots were forgotten.

import { ClientError } from '../../errors.js';
import { forget as runForget, parseDuration, type ForgetGroup } from '../../repo/commands/forget.js';
import { Session } from '../session.js';
import { prune as runPrune } from '../../repo/commands/prune.js';
import { pruneSummary } from './prune.js';
import { type RepoFlags, withRepository } from './repo-common.js';
import type { FilterFlags } from './snapshots.js';

export interface ForgetFlags extends RepoFlags, FilterFlags {
  keepLast?: string;
  keepHourly?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  keepYearly?: string;
  keepWithin?: string;
  keepTag?: string[];
  dryRun?: boolean;
  prune?: boolean;
  json?: boolean;
  quiet?: boolean;
}

function count(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[0-9]{1,6}$/.test(v)) throw new ClientError('usage', `--${name} takes a whole number`);
  return Number(v);
}

export async function forget(flags: ForgetFlags, session = new Session(flags)): Promise<void> {
  const within = flags.keepWithin === undefined ? undefined : parseDuration(flags.keepWithin);
  if (flags.keepWithin !== undefined && within === undefined) throw new ClientError('usage', '--keep-within takes a duration such as 1y6m, 30d or 12h (y, m = months, d, h)');
  const policy = {
    last: count(flags.keepLast, 'keep-last'), hourly: count(flags.keepHourly, 'keep-hourly'), daily: count(flags.keepDaily, 'keep-daily'),
    weekly: count(flags.keepWeekly, 'keep-weekly'), monthly: count(flags.keepMonthly, 'keep-monthly'), yearly: count(flags.keepYearly, 'keep-yearly'),
    ...(within !== undefined ? { within } : {}), tags: flags.keepTag,
  };
  const { groups, pruned } = await withRepository(flags, session, async (repo, signal) => {
    const groups: ForgetGroup[] = await runForget(repo, {
      policy, dryRun: flags.dryRun, signal, hosts: flags.host, tags: flags.tag, paths: flags.path,
      onDelete: (s) => session.say(`deleted snapshot ${s.id.slice(0, 8)} (${s.time}, ${s.host}: ${s.paths.join(' ')})`),
    });
    if (!flags.prune) return { groups, pruned: undefined };
    const without = new Set(groups.flatMap((g) => g.remove.map((s) => s.id)));
    const pruned = await runPrune(repo, {
      dryRun: flags.dryRun, without, signal, onDelete: (n, why) => session.say(`deleted ${n.type}/${n.id.slice(0, 16)} (${why})`),
    });
    return { groups, pruned };
  });
  if (flags.json) {
    const out = {
      dryRun: flags.dryRun === true,
      groups: groups.map((g) => ({ host: g.host, paths: g.paths, keep: g.keep.map((s) => s.id), remove: g.remove.map((s) => s.id) })),
      ...(pruned !== undefined ? { prune: pruned } : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
    return;
  }
  if (flags.quiet) return;
  for (const g of groups) {
    session.say(`${g.host}: ${g.paths.join(' ')}: keeping ${g.keep.length}, ${flags.dryRun ? 'would delete' : 'deleted'} ${g.remove.length}`);
    if (flags.dryRun) for (const s of g.remove) session.say(`  would delete ${s.id.slice(0, 8)} (${s.time})`);
  }
  if (pruned !== undefined) session.say(pruneSummary(pruned, flags.dryRun === true));
}
