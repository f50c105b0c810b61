// `bkv stats [snapshot...]`: the restore size, the unique data after deduplication, what is stored for it and
// the ratios (client/repo/commands/stats.ts), of the given snapshots or of all (filtered by --host / --tag / --path);
// --json prints the figures as one object.

import { findSnapshot } from '../../repo/snapshots/find.js';
import { filterSnapshots } from '../../repo/snapshots/snapshot-filter.js';
import { snapshotStats } from '../../repo/commands/stats.js';
import type { Snapshot } from '../../repo/snapshot.js';
import { formatBytes } from '../progress.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';
import type { FilterFlags } from './snapshots.js';

export async function stats(refs: string[], flags: RepoFlags & FilterFlags & { json?: boolean }, session = new Session(flags)): Promise<void> {
  const r = await withRepository(flags, session, async (repo, signal) => {
    let list: Snapshot[];
    if (refs.length > 0) {
      list = [];
      for (const ref of refs) list.push(await findSnapshot(repo, ref, { signal }));
    } else {
      list = filterSnapshots(await repo.snapshots({ signal }), { hosts: flags.host, tags: flags.tag, paths: flags.path });
    }
    return snapshotStats(repo, list, { signal });
  });
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  process.stdout.write([
    `snapshots:          ${r.snapshots}`,
    `files:              ${r.files}`,
    `restore size:       ${formatBytes(r.restoreSize)}`,
    `unique data:        ${formatBytes(r.uniqueBytes)} (deduplication ${r.dedupRatio.toFixed(2)}×)`,
    `stored:             ${formatBytes(r.storedBytes)} (compression ${r.compressionRatio.toFixed(2)}×, encrypted, trees included)`,
    ...(r.missingBlobs > 0 ? [`missing blobs:      ${r.missingBlobs} (run bkv check)`] : []),
  ].join('\n') + '\n');
}
