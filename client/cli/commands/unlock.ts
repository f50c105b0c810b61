// `bkv unlock [--json]`: removes the repository locks this device's killed commands left (client/repo/storage/lock-journal.ts:
// their process no longer runs on this host, or their lease ran out), and says which it kept and why. Locks of
// other devices end with their lease (at most ttl) and their maximum life.
// `bkv unlock --remove-all [--yes]`: removes every lock of the repository, whoever holds it (a device that died for
// good, or one that is no longer trusted); asks on a terminal, refuses without --yes elsewhere. Removing a lock is a
// change, signed with K's key (docs/protocol.md "Signed requests"), so both need this device's K.

import { ClientError } from '../../errors.js';
import { unlockStale } from '../../repo/storage/lock-journal.js';
import { openRepository } from '../../repo/repository.js';
import type { RepoStore } from '../../repo/storage/store.js';
import { Session } from '../session.js';
import { obtainKey, type RepoFlags } from './repo-common.js';

export interface UnlockFlags extends RepoFlags {
  json?: boolean;
  removeAll?: boolean;
  yes?: boolean;
}

/** The store, signing with this device's K once K opened the repository (and registered its key if it had none). */
async function signingStore(flags: UnlockFlags, session: Session): Promise<RepoStore> {
  const store = await session.repoStore();
  const { key } = await obtainKey(flags, session);
  await (await openRepository(store, key, { workers: 0 })).close();
  return store;
}

async function removeAll(flags: UnlockFlags, session: Session): Promise<void> {
  const store = await signingStore(flags, session);
  const locks = (await store.status()).locks ?? [];
  if (locks.length > 0 && !flags.yes) {
    const what = `all ${locks.length} lock${locks.length === 1 ? '' : 's'} of the repository (a command still running loses its lock and stops)`;
    if (!session.prompt.interactive) throw new ClientError('usage', `not removing ${what} without --yes`);
    if (!(await session.prompt.confirm(`remove ${what}?`))) throw new ClientError('cancelled', 'cancelled; no lock was removed');
  }
  for (const l of locks) await store.unlock(l.lockId);
  const r = await unlockStale(store, session.device.home, () => false, Number.POSITIVE_INFINITY); // this device's records of them
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ removed: locks.map((l) => l.lockId), kept: [] })}\n`);
    return;
  }
  for (const l of locks) session.say(`removed the ${l.exclusive ? 'exclusive' : 'shared'} lock ${l.lockId.slice(0, 8)}`);
  if (locks.length === 0 && r.removed.length === 0) session.say('the repository has no lock');
}

export async function unlock(flags: UnlockFlags, session = new Session(flags)): Promise<void> {
  if (flags.removeAll) return removeAll(flags, session);
  const store = await signingStore(flags, session);
  const r = await unlockStale(store, session.device.home);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ removed: r.removed.map((l) => l.lockId), kept: r.kept.map((k) => ({ lockId: k.lock.lockId, why: k.why })) })}\n`);
    return;
  }
  for (const l of r.removed) session.say(`removed the ${l.exclusive ? 'exclusive' : 'shared'} lock of process ${l.pid} (gone)`);
  for (const k of r.kept) session.say(`kept the ${k.lock.exclusive ? 'exclusive' : 'shared'} lock ${k.lock.lockId.slice(0, 8)}: ${k.why}`);
  if (r.removed.length === 0 && r.kept.length === 0) session.say('this device holds no repository lock');
}
