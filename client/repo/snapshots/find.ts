// Naming a snapshot on the command line: `latest` (the newest of the group of this host and the given paths
// when paths are given, else the newest of all) or an id or unique id prefix (at least 4 hex digits). `latest` is
// refused when this device has seen a newer snapshot of the group than the server lists (a rollback, seen.ts).

import { resolve } from 'node:path';
import type { SnapshotLister } from '../ports.js';
import { newer, type Rollback } from './seen.js';
import { groupKey, newestFirst, type Snapshot } from '../snapshot.js';
import type { CallOptions } from '../storage/store.js';
import { ClientError } from '../../errors.js';

export async function findSnapshot(repo: SnapshotLister, ref: string, options: CallOptions & { host?: string; paths?: readonly string[] } = {}): Promise<Snapshot> {
  const all = (await repo.snapshots(options)).sort(newestFirst);
  if (ref === 'latest') {
    const group = options.paths !== undefined && options.paths.length > 0 ? groupKey({ host: options.host ?? '', paths: options.paths.map((p) => resolve(p)) }) : undefined;
    const candidates = group !== undefined ? all.filter((s) => groupKey(s) === group) : all;
    const s = candidates[0];
    // `latest` is what the server lists; a device that has seen a newer snapshot of the group refuses it (seen.ts)
    const hidden = repo.rollbacks.filter((r) => (group === undefined || r.group === group) && (s === undefined || newer(r.seen, s)));
    if (hidden.length > 0) throw rollbackError(hidden, s);
    if (s === undefined) throw new ClientError('usage', options.paths?.length ? 'no snapshot of these paths from this host' : 'this repository has no snapshots yet');
    return s;
  }
  if (!/^[0-9a-f]{4,64}$/.test(ref)) throw new ClientError('usage', `bad snapshot id ${JSON.stringify(ref)}: give an id, a prefix of 4+ hex digits, or latest`);
  const matches = all.filter((s) => s.id.startsWith(ref));
  if (matches.length === 0) throw new ClientError('usage', `no snapshot ${ref}`);
  if (matches.length > 1) throw new ClientError('usage', `snapshot prefix ${ref} is ambiguous: give more digits`);
  return matches[0]!;
}

/** Describes a rollback for people: which snapshot this device saw, and what the server lists instead. */
export function describeRollback(r: Rollback): string {
  return `the server no longer lists snapshot ${r.seen.id.slice(0, 8)} (${r.seen.time}) of ${r.host} ${r.paths.join(' ')}, the newest this device has seen of them`
    + (r.listed !== undefined ? `; the newest it lists is ${r.listed.id.slice(0, 8)} (${r.listed.time})` : '; it lists none of them');
}

/**
 * `latest` refused: the server hides newer snapshots (a rollback), or another device of the user forgot them; this
 * device cannot tell which. Exit 5 (damaged, check rollback); `--accept-rollback` takes the server's view.
 */
export function rollbackError(hidden: readonly Rollback[], latest: Snapshot | undefined): ClientError<'damaged'> {
  return new ClientError('damaged', `rollback: ${hidden.map(describeRollback).join('; ')}. the server may be hiding newer snapshots; `
    + `latest would be ${latest === undefined ? 'none' : `${latest.id.slice(0, 8)} (${latest.time})`}. if another device of yours forgot the newer one, `
    + 'run again with --accept-rollback (this device then records the server\'s view); otherwise restore by id and do not trust this server', { check: 'rollback' });
}
