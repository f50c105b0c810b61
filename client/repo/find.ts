// Naming a snapshot on the command line: `latest` (the newest of the group of this host and the given paths
// when paths are given, else the newest of all) or an id or unique id prefix (at least 4 hex digits).

import { resolve } from 'node:path';
import type { Repository } from './repository.js';
import { groupKey, newestFirst, type Snapshot } from './snapshot.js';
import type { CallOptions } from './store.js';
import { ClientError } from '../errors.js';

export async function findSnapshot(repo: Repository, ref: string, options: CallOptions & { host?: string; paths?: readonly string[] } = {}): Promise<Snapshot> {
  const all = (await repo.snapshots(options)).sort(newestFirst);
  if (ref === 'latest') {
    const candidates = options.paths !== undefined && options.paths.length > 0
      ? all.filter((s) => groupKey(s) === groupKey({ host: options.host ?? '', paths: options.paths!.map((p) => resolve(p)) }))
      : all;
    const s = candidates[0];
    if (s === undefined) throw new ClientError('usage', options.paths?.length ? 'no snapshot of these paths from this host' : 'this repository has no snapshots yet');
    return s;
  }
  if (!/^[0-9a-f]{4,64}$/.test(ref)) throw new ClientError('usage', `bad snapshot id ${JSON.stringify(ref)}: give an id, a prefix of 4+ hex digits, or latest`);
  const matches = all.filter((s) => s.id.startsWith(ref));
  if (matches.length === 0) throw new ClientError('usage', `no snapshot ${ref}`);
  if (matches.length > 1) throw new ClientError('usage', `snapshot prefix ${ref} is ambiguous: give more digits`);
  return matches[0]!;
}
