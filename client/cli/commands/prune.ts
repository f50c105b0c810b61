// `bkv prune [--dry-run] [--json] [--quiet]`: frees the data no snapshot references (client/repo/commands/prune.ts) and
// names what it deletes on stderr; progress (packs freed) on a terminal or as JSON lines with --json, whose
// result is then one JSON object on stdout.

import { prune as runPrune, type PruneResult } from '../../repo/commands/prune.js';
import { countOf, formatBytes, openProgress, progressMode } from '../progress.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export interface PruneFlags extends RepoFlags {
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export async function prune(flags: PruneFlags, session = new Session(flags)): Promise<void> {
  const started = Date.now();
  const progress = openProgress('prune', progressMode(flags), { amount: countOf('packs'), unit: 'packs' });
  const r = await withRepository(flags, session, async (repo, signal) => {
    try {
      return await runPrune(repo, {
        dryRun: flags.dryRun, signal,
        // every deletion is named, --quiet or not
        onDelete: (n, why) => session.say(`deleted ${n.type}/${n.id.slice(0, 16)} (${why})`),
        onProgress: (p) => progress.update({ done: p.packs, total: p.totalPacks }),
      });
    } finally {
      progress.stop();
    }
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ dryRun: flags.dryRun === true, ...r, seconds: (Date.now() - started) / 1000 })}\n`);
    return;
  }
  if (flags.quiet) return;
  session.say(pruneSummary(r, flags.dryRun === true));
}

export function pruneSummary(r: PruneResult, dryRun: boolean): string {
  return `${dryRun ? 'would delete' : 'deleted'} ${r.deletedPacks} packs (${r.repackedPacks} repacked into ${r.newPacks}), `
    + `${r.deletedIndexes} index objects; ${dryRun ? 'would free' : 'freed'} ${formatBytes(r.freedBytes)}; kept ${r.keptPacks} packs`;
}
