// `forget`: removes snapshots by retention rules applied per group (host + paths), never across groups: within
// each group, newest first, keep the newest `last` snapshots and the newest snapshot of each of the newest
// `daily` days, `weekly` ISO weeks and `monthly` months (UTC); every other snapshot of the group is deleted,
// under an exclusive lock, and each deletion is reported. Data is freed later by `prune`.

import { withLock } from './lock.js';
import type { Repository } from './repository.js';
import { groupKey, newestFirst, type Snapshot } from './snapshot.js';
import type { CallOptions } from './store.js';
import { ClientError } from '../errors.js';

export interface KeepPolicy {
  last?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
}

export interface ForgetOptions extends CallOptions {
  policy: KeepPolicy;
  /** Only these groups' snapshots (default every group). */
  host?: string;
  dryRun?: boolean;
  onDelete?: (s: Snapshot) => void;
}

export interface ForgetGroup {
  host: string;
  paths: string[];
  keep: Snapshot[];
  remove: Snapshot[];
}

function isoWeek(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86400000 + 1) / 7);
  return `${year}-W${week}`;
}

/** Which snapshots of one group the policy keeps (the group's snapshots in any order). */
export function applyPolicy(snapshots: readonly Snapshot[], policy: KeepPolicy): { keep: Snapshot[]; remove: Snapshot[] } {
  const sorted = [...snapshots].sort(newestFirst);
  const keep = new Set<Snapshot>();
  sorted.slice(0, policy.last ?? 0).forEach((s) => keep.add(s));
  const buckets: [number | undefined, (d: Date) => string][] = [
    [policy.daily, (d) => d.toISOString().slice(0, 10)],
    [policy.weekly, isoWeek],
    [policy.monthly, (d) => d.toISOString().slice(0, 7)],
  ];
  for (const [n, bucket] of buckets) {
    if (!n) continue;
    const seen = new Set<string>();
    for (const s of sorted) {
      const b = bucket(new Date(s.time));
      if (seen.has(b)) continue;
      if (seen.size >= n) break;
      seen.add(b);
      keep.add(s);
    }
  }
  return { keep: sorted.filter((s) => keep.has(s)), remove: sorted.filter((s) => !keep.has(s)) };
}

export function forgetPlan(snapshots: readonly Snapshot[], options: Pick<ForgetOptions, 'policy' | 'host'>): ForgetGroup[] {
  const p = options.policy;
  if (!p.last && !p.daily && !p.weekly && !p.monthly) throw new ClientError('usage', 'forget needs at least one --keep-… rule (it would otherwise delete every snapshot)');
  const groups = new Map<string, Snapshot[]>();
  for (const s of snapshots) {
    if (options.host !== undefined && s.host !== options.host) continue;
    const k = groupKey(s);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [s]);
    else g.push(s);
  }
  return [...groups.values()].map((g) => ({ host: g[0]!.host, paths: [...g[0]!.paths].sort(), ...applyPolicy(g, p) }));
}

export async function forget(repo: Repository, options: ForgetOptions): Promise<ForgetGroup[]> {
  return withLock(repo.store, true, 'forget', options.signal, async (lock, signal) => {
    const plan = forgetPlan(await repo.snapshots({ signal }), options);
    if (options.dryRun) return plan;
    for (const g of plan) {
      if (g.remove.length === 0) continue;
      lock.assertHeld();
      const { deleted } = await repo.store.delete(g.remove.map((s) => ({ type: 'snapshots' as const, id: s.id })), lock.id, { signal });
      const gone = new Set(deleted.map((d) => d.id));
      for (const s of g.remove) {
        repo.cache?.delete({ type: 'snapshots', id: s.id });
        if (gone.has(s.id)) options.onDelete?.(s);
      }
      repo.seen?.forgotten(g.remove, g.keep); // this device's own deletions are no rollback
    }
    return plan;
  });
}
