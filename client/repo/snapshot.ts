// Snapshots (docs/repository.md "Snapshots"): one JSON object per backup naming its root tree, and the groups
// (host + paths) that retention and `latest` work within.

import { damaged } from './objects.js';

export interface SnapshotSummary {
  files: number;
  dirs: number;
  symlinks: number;
  bytes: number;
  newBytes: number;
  uploadedBytes: number;
}

export interface Skipped {
  path: string;
  error: string;
}

export interface Snapshot {
  version: 1;
  id: string;
  time: string;
  host: string;
  user: string;
  paths: string[];
  tags: string[];
  tree: string;
  parent: string | null;
  incomplete: boolean;
  skipped: Skipped[];
  summary: SnapshotSummary;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function toSnapshot(obj: Record<string, unknown>): Snapshot {
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  if (typeof obj.tree !== 'string' || !HEX64.test(obj.tree) || typeof obj.time !== 'string' || Number.isNaN(Date.parse(obj.time))
    || typeof obj.host !== 'string' || !strings(obj.paths) || !strings(obj.tags ?? [])) {
    throw damaged(`snapshots/${String(obj.id)} is malformed`);
  }
  const s = obj.summary as Partial<SnapshotSummary> | undefined;
  return {
    version: 1, id: obj.id as string, time: obj.time, host: obj.host, user: typeof obj.user === 'string' ? obj.user : '',
    paths: obj.paths as string[], tags: (obj.tags ?? []) as string[], tree: obj.tree,
    parent: typeof obj.parent === 'string' ? obj.parent : null, incomplete: obj.incomplete === true,
    skipped: Array.isArray(obj.skipped) ? (obj.skipped as Skipped[]) : [],
    summary: { files: s?.files ?? 0, dirs: s?.dirs ?? 0, symlinks: s?.symlinks ?? 0, bytes: s?.bytes ?? 0, newBytes: s?.newBytes ?? 0, uploadedBytes: s?.uploadedBytes ?? 0 },
  };
}

/** The group of a snapshot: its host and its sorted paths. */
export function groupKey(s: { host: string; paths: readonly string[] }): string {
  return JSON.stringify([s.host, [...s.paths].sort()]);
}

/** Newest first (time, then id). */
export function newestFirst(a: Snapshot, b: Snapshot): number {
  return b.time < a.time ? -1 : b.time > a.time ? 1 : a.id < b.id ? -1 : 1;
}
