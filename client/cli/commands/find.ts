// `bkv find <pattern>...`: the entries of the snapshots (all, or --snapshot / --host / --tag / --path) whose
// original absolute path matches one of the patterns (client/repo/commands/search.ts); one line per entry with its
// snapshot, or one JSON object per line with --json. Finding nothing is not an error (restic's `find` agrees).

import { findSnapshot } from '../../repo/snapshots/find.js';
import { findInSnapshots } from '../../repo/commands/search.js';
import { filterSnapshots } from '../../repo/snapshots/snapshot-filter.js';
import { newestFirst, type Snapshot } from '../../repo/snapshot.js';
import { TYPE_LETTER } from '../../repo/tree.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';
import type { FilterFlags } from './snapshots.js';

export interface FindFlags extends RepoFlags, FilterFlags {
  snapshot?: string[];
  ignoreCase?: boolean;
  json?: boolean;
}

export async function find(patterns: string[], flags: FindFlags, session = new Session(flags)): Promise<void> {
  await withRepository(flags, session, async (repo, signal) => {
    let list: Snapshot[];
    if (flags.snapshot?.length) {
      list = [];
      for (const ref of flags.snapshot) list.push(await findSnapshot(repo, ref, { signal }));
    } else {
      list = filterSnapshots(await repo.snapshots({ signal }), { hosts: flags.host, tags: flags.tag, paths: flags.path }).sort(newestFirst).reverse();
    }
    const out: string[] = [];
    let found = 0;
    for await (const { snapshot, path, node } of findInSnapshots(repo, list, patterns, { signal, ignoreCase: flags.ignoreCase })) {
      found++;
      if (flags.json) {
        out.push(JSON.stringify({ snapshot: snapshot.id, time: snapshot.time, path, type: node.type, mode: node.mode, mtime: node.mtime, ...(node.type === 'file' ? { size: node.size } : {}) }));
      } else {
        const size = node.type === 'file' ? String(node.size) : '';
        out.push(`${snapshot.id.slice(0, 8)}  ${TYPE_LETTER[node.type]} ${size.padStart(12)}  ${path}`);
      }
      if (out.length >= 1000) process.stdout.write(`${out.splice(0).join('\n')}\n`);
    }
    if (out.length) process.stdout.write(`${out.join('\n')}\n`);
    if (!flags.json) session.say(`${found} match(es) in ${list.length} snapshot(s)`);
  });
}
