// `bkv diff <a> <b>`: what changed from snapshot a to snapshot b (client/repo/commands/diff.ts): one line per entry,
// `+` added, `-` removed, `M` content changed, `T` type changed, `U` metadata only, then a summary; with --json
// one object { a, b, changes: [{ change, path }], stats }.

import { hostname } from 'node:os';
import { diffSnapshots, type DiffEntry } from '../../repo/commands/diff.js';
import { findSnapshot } from '../../repo/snapshots/find.js';
import { formatBytes } from '../progress.js';
import { Session } from '../session.js';
import { type RepoFlags, withRepository } from './repo-common.js';

export async function diff(refA: string, refB: string, flags: RepoFlags & { json?: boolean }, session = new Session(flags)): Promise<void> {
  await withRepository(flags, session, async (repo, signal) => {
    const a = await findSnapshot(repo, refA, { host: hostname(), signal });
    const b = await findSnapshot(repo, refB, { host: hostname(), signal });
    const changes: DiffEntry[] = [];
    const out: string[] = [];
    const stats = await diffSnapshots(repo, a, b, (e) => {
      if (flags.json) {
        changes.push(e);
        return;
      }
      out.push(`${e.change}    ${e.path}`);
      if (out.length >= 1000) process.stdout.write(`${out.splice(0).join('\n')}\n`);
    }, { signal });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ a: a.id, b: b.id, changes, stats })}\n`);
      return;
    }
    if (out.length) process.stdout.write(`${out.join('\n')}\n`);
    session.say(`${a.id.slice(0, 8)} → ${b.id.slice(0, 8)}: ${stats.added} added, ${stats.removed} removed, ${stats.changed} changed, `
      + `${stats.metadata} metadata only; +${formatBytes(stats.addedBytes)} −${formatBytes(stats.removedBytes)}`);
  });
}
