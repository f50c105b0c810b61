// `forget`: removes snapshots by retention rules applied per group (host + paths), never across groups, as
// restic's `forget` does: within each group, newest first, keep the newest `last` snapshots, the newest snapshot
// of each of the newest `hourly` hours, `daily` days, `weekly` ISO weeks, `monthly` months and `yearly` years
// (UTC), every snapshot within `within` of the group's newest one, and every snapshot carrying one of `tags`;
// every other snapshot of the group is deleted, under an exclusive lock, and each deletion is reported. A dry run
// only reads (no lock). Data is freed later by `prune`.

import { withLock } from '../storage/lock.js';
import type { Repository } from '../repository.js';
import { groupKey, newestFirst, type Snapshot } from '../snapshot.js';
import { filterSnapshots, type SnapshotFilter } from '../snapshots/snapshot-filter.js';
import type { CallOptions } from '../storage/store.js';
import { ClientError } from '../../errors.js';

export interface KeepPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** Keep every snapshot this recent, measured back from the group's newest snapshot. */
  within?: Duration;
  /** Keep every snapshot that carries one of these tags. */
  tags?: readonly string[];
}

/** A calendar duration, restic's `1y2m3d4h` (m = months). */
export interface Duration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

/** Parses `1y2m3d4h` (any of the parts, in this order, each at most 6 digits); undefined when malformed. */
export function parseDuration(text: string): Duration | undefined {
  const m = /^(?:(\d{1,6})y)?(?:(\d{1,6})m)?(?:(\d{1,6})d)?(?:(\d{1,6})h)?$/.exec(text);
  if (m === null || text === '') return undefined;
  return { years: Number(m[1] ?? 0), months: Number(m[2] ?? 0), days: Number(m[3] ?? 0), hours: Number(m[4] ?? 0) };
}

function before(time: Date, d: Duration): number {
  const t = new Date(time.getTime());
  t.setUTCFullYear(t.getUTCFullYear() - d.years, t.getUTCMonth() - d.months, t.getUTCDate() - d.days);
  return t.getTime() - d.hours * 3600_000;
}

export interface ForgetOptions extends CallOptions, SnapshotFilter {
  policy: KeepPolicy;
  /** Only this host's groups (default every group); `hosts` (SnapshotFilter) takes several. */
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
    [policy.hourly, (d) => d.toISOString().slice(0, 13)],
    [policy.daily, (d) => d.toISOString().slice(0, 10)],
    [policy.weekly, isoWeek],
    [policy.monthly, (d) => d.toISOString().slice(0, 7)],
    [policy.yearly, (d) => d.toISOString().slice(0, 4)],
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
  if (policy.within !== undefined && sorted.length > 0) {
    const cutoff = before(new Date(sorted[0]!.time), policy.within);
    for (const s of sorted) if (Date.parse(s.time) >= cutoff) keep.add(s);
  }
  if (policy.tags?.length) for (const s of sorted) if (s.tags.some((t) => policy.tags!.includes(t))) keep.add(s);
  return { keep: sorted.filter((s) => keep.has(s)), remove: sorted.filter((s) => !keep.has(s)) };
}

export function forgetPlan(snapshots: readonly Snapshot[], options: Pick<ForgetOptions, 'policy' | 'host' | keyof SnapshotFilter>): ForgetGroup[] {
  const p = options.policy;
  if (!p.last && !p.hourly && !p.daily && !p.weekly && !p.monthly && !p.yearly && p.within === undefined && !p.tags?.length) {
    throw new ClientError('usage', 'forget needs at least one --keep-… rule (it would otherwise delete every snapshot)');
  }
  const groups = new Map<string, Snapshot[]>();
  for (const s of filterSnapshots(snapshots, options)) {
    if (options.host !== undefined && s.host !== options.host) continue;
    const k = groupKey(s);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [s]);
    else g.push(s);
  }
  return [...groups.values()].map((g) => ({ host: g[0]!.host, paths: [...g[0]!.paths].sort(), ...applyPolicy(g, p) }));
}

/** Needs the whole Repository: the snapshots, the exclusive lock and deletions, the cache and the seen record. */
export async function forget(repo: Repository, options: ForgetOptions): Promise<ForgetGroup[]> {
  // a dry run only reads: it takes no lock, so a stale lock never blocks it and it never blocks a backup
  if (options.dryRun) return forgetPlan(await repo.snapshots({ signal: options.signal }), options);
  return withLock(repo.store, true, 'forget', options.signal, async (lock, signal) => {
    const plan = forgetPlan(await repo.snapshots({ signal }), options);
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
