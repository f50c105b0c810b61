// Which snapshots a command looks at: `--host`, `--tag` and `--path`, as restic's snapshot filters mean them.
// A snapshot passes when its host is one of the hosts, it holds every tag of at least one `--tag` value (a value
// `a,b` asks for both), and its paths include every `--path` (resolved to absolute paths); an absent filter
// passes everything.

import { resolve } from 'node:path';
import type { Snapshot } from '../snapshot.js';

export interface SnapshotFilter {
  hosts?: readonly string[];
  /** Each entry a comma-separated set of tags that must all be present; entries are alternatives. */
  tags?: readonly string[];
  paths?: readonly string[];
}

export function matchesFilter(s: Snapshot, filter: SnapshotFilter): boolean {
  if (filter.hosts?.length && !filter.hosts.includes(s.host)) return false;
  if (filter.tags?.length) {
    const ok = filter.tags.some((set) => set.split(',').filter((t) => t !== '').every((t) => s.tags.includes(t)));
    if (!ok) return false;
  }
  if (filter.paths?.length) {
    const have = new Set(s.paths);
    if (!filter.paths.every((p) => have.has(resolve(p)))) return false;
  }
  return true;
}

export function filterSnapshots(list: readonly Snapshot[], filter: SnapshotFilter = {}): Snapshot[] {
  return list.filter((s) => matchesFilter(s, filter));
}
