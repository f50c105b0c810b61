// `bkv unlock [--json]`: removes the repository locks this device's killed commands left (client/repo/lock-journal.ts:
// their process no longer runs on this host, or their lease ran out), and says which it kept and why. Locks of
// other devices end with their lease (at most ttl) and their maximum life.

import { unlockStale } from '../../repo/lock-journal.js';
import { Session } from '../session.js';
import type { ConnectionFlags } from '../options.js';

export async function unlock(flags: ConnectionFlags & { json?: boolean }, session = new Session(flags)): Promise<void> {
  const store = await session.repoStore();
  const r = await unlockStale(store, session.device.home);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ removed: r.removed.map((l) => l.lockId), kept: r.kept.map((k) => ({ lockId: k.lock.lockId, why: k.why })) })}\n`);
    return;
  }
  for (const l of r.removed) session.say(`removed the ${l.exclusive ? 'exclusive' : 'shared'} lock of process ${l.pid} (gone)`);
  for (const k of r.kept) session.say(`kept the ${k.lock.exclusive ? 'exclusive' : 'shared'} lock ${k.lock.lockId.slice(0, 8)}: ${k.why}`);
  if (r.removed.length === 0 && r.kept.length === 0) session.say('this device holds no repository lock');
}
