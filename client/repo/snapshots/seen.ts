// What this device has seen of a repository, to notice a server that goes back in time (docs/repository.md
// "Rollback"): per group (host + paths) the newest snapshot it has listed (id and time, both from inside the
// encrypted snapshot, which the server cannot forge), in `$BKV_HOME/seen/<repository id>.json` (0600). When a
// listing lacks a group's recorded newest snapshot and lists nothing at least as new for that group, the server
// hides it (or another device of the user forgot it: the two cannot be told apart here): that group is a
// *rollback*, kept in the record until the user accepts it. Groups that move forward are recorded as they go.
// This device's own forget never removes a group's newest (every rule keeps it), and records what it removed.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { groupKey, type Snapshot } from '../snapshot.js';

export interface SeenSnapshot {
  id: string;
  time: string;
}

export interface Rollback {
  /** groupKey(): JSON of [host, sorted paths]. */
  group: string;
  host: string;
  paths: string[];
  /** The newest snapshot this device had seen of the group. */
  seen: SeenSnapshot;
  /** The newest the server lists now, if any. */
  listed?: SeenSnapshot;
}

interface RecordFile {
  version: 1;
  groups: Record<string, SeenSnapshot>;
  rollbacks: Rollback[];
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Whether `a` is newer than `b` (time, then id: the order of snapshot.ts newestFirst). */
export function newer(a: SeenSnapshot, b: SeenSnapshot): boolean {
  return a.time > b.time || (a.time === b.time && a.id > b.id);
}

function isSeen(v: unknown): v is SeenSnapshot {
  const s = v as SeenSnapshot | null;
  return typeof s === 'object' && s !== null && typeof s.id === 'string' && HEX64.test(s.id) && typeof s.time === 'string';
}

export class SeenRecord {
  constructor(readonly path: string) {}

  private read(): RecordFile {
    try {
      const v = JSON.parse(readFileSync(this.path, 'utf8')) as Partial<RecordFile>;
      const groups: Record<string, SeenSnapshot> = {};
      for (const [k, s] of Object.entries(v.groups ?? {})) if (isSeen(s)) groups[k] = { id: s.id, time: s.time };
      const rollbacks = Array.isArray(v.rollbacks) ? v.rollbacks.filter((r) => typeof r?.group === 'string' && isSeen(r.seen)) : [];
      return { version: 1, groups, rollbacks };
    } catch {
      return { version: 1, groups: {}, rollbacks: [] };
    }
  }

  private write(r: RecordFile): void {
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      const tmp = `${this.path}.tmp-${randomBytes(6).toString('hex')}`;
      writeFileSync(tmp, `${JSON.stringify(r)}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch {
      // a record that cannot be written only weakens the check on the next run
    }
  }

  /** The rollbacks recorded and not yet accepted. */
  rollbacks(): Rollback[] {
    return this.read().rollbacks;
  }

  /**
   * Compares a full listing of the server's snapshots with the record: groups whose newest moved forward (or
   * that are new) are recorded; groups whose recorded newest is gone with nothing as new listed are rollbacks,
   * added to the record's list. Returns every rollback not yet accepted.
   */
  observe(snapshots: readonly Snapshot[]): Rollback[] {
    const r = this.read();
    const newest = new Map<string, Snapshot>();
    for (const s of snapshots) {
      const k = groupKey(s);
      const n = newest.get(k);
      if (n === undefined || newer(s, n)) newest.set(k, s);
    }
    // a rollback whose snapshot is listed again is over (the record keeps the group's newest as before)
    const listed = new Set(snapshots.map((s) => s.id));
    const before = r.rollbacks.length;
    r.rollbacks = r.rollbacks.filter((b) => !listed.has(b.seen.id));
    let changed = r.rollbacks.length !== before;
    for (const [k, seen] of Object.entries(r.groups)) {
      const n = newest.get(k);
      if (n !== undefined && !newer(seen, n)) continue;
      if (r.rollbacks.some((b) => b.group === k && b.seen.id === seen.id)) continue;
      const [host, paths] = JSON.parse(k) as [string, string[]];
      r.rollbacks.push({ group: k, host, paths, seen, ...(n !== undefined ? { listed: { id: n.id, time: n.time } } : {}) });
      changed = true;
    }
    for (const [k, n] of newest) {
      const seen = r.groups[k];
      if (seen === undefined || newer(n, seen)) {
        r.groups[k] = { id: n.id, time: n.time };
        changed = true;
      }
    }
    if (changed) this.write(r);
    return r.rollbacks;
  }

  /** The user accepts the server's view of these groups (`--accept-rollback`): their record follows the listing. */
  accept(groups: readonly string[], snapshots: readonly Snapshot[]): void {
    const r = this.read();
    const drop = new Set(groups);
    r.rollbacks = r.rollbacks.filter((b) => !drop.has(b.group));
    for (const g of drop) {
      delete r.groups[g];
      for (const s of snapshots) {
        const seen = r.groups[g];
        if (groupKey(s) === g && (seen === undefined || newer(s, seen))) r.groups[g] = { id: s.id, time: s.time };
      }
    }
    this.write(r);
  }

  /** This device deleted `removed` (forget): a recorded newest among them is replaced by the newest of `kept`. */
  forgotten(removed: readonly Snapshot[], kept: readonly Snapshot[]): void {
    const r = this.read();
    const gone = new Set(removed.map((s) => s.id));
    let changed = false;
    for (const [k, seen] of Object.entries(r.groups)) {
      if (!gone.has(seen.id)) continue;
      delete r.groups[k];
      for (const s of kept) {
        const cur = r.groups[k];
        if (groupKey(s) === k && (cur === undefined || newer(s, cur))) r.groups[k] = { id: s.id, time: s.time };
      }
      changed = true;
    }
    if (changed) this.write(r);
  }
}
