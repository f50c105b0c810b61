// `bkv prune [--dry-run]`: frees the data no snapshot references (client/repo/prune.ts) and names what it deletes.

import { prune as runPrune } from '../../repo/prune.js';
import { formatBytes } from '../progress.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export async function prune(flags: RepoFlags & { dryRun?: boolean }, session = new Session(flags)): Promise<void> {
  const r = await withRepository(flags, session, (repo, signal) => runPrune(repo, {
    dryRun: flags.dryRun, signal, onDelete: (n, why) => session.say(`deleted ${n.type}/${n.id.slice(0, 16)} (${why})`),
  }));
  session.say(`${flags.dryRun ? 'would delete' : 'deleted'} ${r.deletedPacks} packs (${r.repackedPacks} repacked into ${r.newPacks}), `
    + `${r.deletedIndexes} index objects; freed ${formatBytes(r.freedBytes)}; kept ${r.keptPacks} packs`);
}
