// `bkv undelete --as-of TIME [--json]` (or `--snapshot ID [--as-of TIME]`: one snapshot and what it needs): brings back every repository object deleted after TIME (by forget,
// prune, `bkv delete --backups` or anyone else holding the account), while the deployment still keeps deleted
// objects (30 days by default; docs/repository.md "Deleted objects"). Then, with this device's key, it deletes
// (deferred too) any index a prune wrote over the restored ones, so they count again (client/repo/commands/undelete.ts).
// It needs K: undeleting is a change, signed with K's key like every change (docs/protocol.md "Signed requests").
// Names each object it brings back or deletes on stderr; --json prints { restored, revived } on stdout.

import { ClientError } from '../../errors.js';
import { backupKeyBytes } from '../../backup-key.js';
import { openRepository } from '../../repo/repository.js';
import { reviveIndexes, undelete as runUndelete, undeleteSnapshot } from '../../repo/commands/undelete.js';
import { Session } from '../session.js';
import * as interrupt from '../interrupt.js';
import { obtainKey, type RepoFlags } from './repo-common.js';

export interface UndeleteFlags extends RepoFlags {
  asOf?: string;
  snapshot?: string;
  json?: boolean;
}

/** `--snapshot ID`: that snapshot and only what it needs (client/repo/commands/undelete.ts undeleteSnapshot). */
async function undeleteOne(flags: UndeleteFlags & { snapshot: string }, session: Session): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(flags.snapshot)) throw new ClientError('usage', 'undelete: --snapshot takes a snapshot id (64 hex digits)');
  const since = flags.asOf === undefined ? 0 : parseAsOf(flags.asOf);
  const signal = interrupt.begin();
  const store = await session.repoStore();
  const key = (await obtainKey(flags, session)).key;
  const repo = await openRepository(store, key, { home: session.device.home, signal });
  let r;
  try {
    r = await undeleteSnapshot(repo, since, flags.snapshot, {
      signal, onRestore: (n) => session.say(`restored ${n.type}/${n.id.slice(0, 16)}`),
    });
  } finally {
    await repo.close();
  }
  interrupt.decided();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const packs = r.restored.filter((n) => n.type === 'data').length;
  session.say(`restored snapshot ${flags.snapshot.slice(0, 8)} with ${packs} packs and ${r.restored.filter((n) => n.type === 'index').length} index objects`);
}

/** An ISO-8601 time with a zone (2026-12-07T19:00:00Z) or a relative one (30m, 2h, 3d ago). */
export function parseAsOf(text: string | undefined, now = Date.now()): number {
  if (text === undefined) throw new ClientError('usage', 'undelete: give --as-of TIME (an ISO time like 2026-12-07T19:00:00Z, or 2h, 3d)');
  const rel = /^(\d{1,6})([mhd])$/.exec(text.trim());
  if (rel) return now - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'];
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)$/.test(text.trim())) {
    throw new ClientError('usage', 'undelete: --as-of must be an ISO time with a zone (2026-12-07T19:00:00Z) or 30m, 2h, 3d');
  }
  const t = Date.parse(text.trim());
  if (!Number.isFinite(t)) throw new ClientError('usage', 'undelete: --as-of is not a valid time');
  if (t > now) throw new ClientError('usage', 'undelete: --as-of is in the future');
  return t;
}

export async function undelete(flags: UndeleteFlags, session = new Session(flags)): Promise<void> {
  if (flags.snapshot !== undefined) return undeleteOne({ ...flags, snapshot: flags.snapshot }, session);
  const since = parseAsOf(flags.asOf);
  const signal = interrupt.begin();
  const store = await session.repoStore();
  // undeleting changes the repository: its requests are signed with K's key, so it needs K (docs/protocol.md)
  const key = (await obtainKey(flags, session)).key;
  store.signWith?.(backupKeyBytes(key));
  const restored = await runUndelete(store, since, {
    signal,
    onRestore: (n) => session.say(`restored ${n.type}/${n.id.slice(0, 16)}`),
  });
  let revived: string[] = [];
  if (restored.some((n) => n.type === 'index')) {
    const repo = await openRepository(store, key, { home: session.device.home, signal });
    try {
      revived = await reviveIndexes(repo, restored, { signal, onDelete: (n) => session.say(`deleted ${n.type}/${n.id.slice(0, 16)} (superseded restored indexes)`) });
    } finally {
      await repo.close();
    }
  }
  interrupt.decided();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ restored, revived })}\n`);
    return;
  }
  const count = (t: string) => restored.filter((n) => n.type === t).length;
  session.say(`restored ${restored.length} objects deleted since ${new Date(since).toISOString()} `
    + `(${count('snapshots')} snapshots, ${count('index')} index, ${count('data')} packs, ${count('config')} config)`);
}
