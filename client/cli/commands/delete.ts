// `bkv delete [--backups]`: deletes this account's key from the vault (and with --backups, every backup). Asks
// on a terminal; scripts pass --yes. The key on this device stays (bkv key show), so backups not deleted can
// still be restored here or with the 64-digit key. What is asked and reported is what the account actually
// has: whether the vault keeps a key (or a destroyed one's record), and how many backups.

import { ClientError } from '../../errors.js';
import { HttpRepoStore } from '../../repo/storage/http-store.js';
import { openRepository } from '../../repo/repository.js';
import type { VaultStatus } from '../../../protocol/schemas.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';

export interface DeleteFlags extends ConnectionFlags {
  backups?: boolean;
  yes?: boolean;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What a delete removes, in words: `the vault key and 3 snapshots`, or undefined for nothing. */
export function describeDeletion(status: VaultStatus, backups: number | undefined): string | undefined {
  const parts: string[] = [];
  if (status.registered) parts.push(status.locked ? 'the vault\'s record of the destroyed key' : 'the vault key');
  if (backups !== undefined && backups > 0) parts.push(`the repository (${plural(backups, 'snapshot')})`);
  return parts.length ? parts.join(' and ') : undefined;
}

/** Snapshots in the account's repository (0 without one): the repository goes as a whole with --backups. */
async function snapshotCount(session: Session): Promise<number> {
  const store = await session.repoStore();
  if ((await store.status()).repositoryId === null) return 0;
  let n = 0;
  for await (const _ of store.list('snapshots')) n++;
  return n;
}

/**
 * What deletes the backups with the vault: a request signed with K's signing key (docs/protocol.md "Signed
 * requests"), so only a device with K can; an account without a repository sends no `backups` at all.
 */
async function backupsDeletion(session: Session): Promise<{ backups?: boolean; backupsSignature?: Record<string, string> }> {
  const store = await session.repoStore();
  const status = await store.status();
  if (status.repositoryId === null && (status.signingKey ?? null) === null) return {};
  const key = await session.deviceKey();
  if (key === undefined) throw new ClientError('usage', `deleting the backups needs the backup key: ${await session.noKeyMessage()}`);
  if (status.repositoryId !== null) await openRepository(store, key, { workers: 0 }).then((r) => r.close());
  else store.signWith?.(key.exposeBytes());
  const backupsSignature = store instanceof HttpRepoStore ? await store.deleteAllSignature() : undefined;
  return { backups: true, ...(backupsSignature ? { backupsSignature } : {}) };
}

export async function remove(flags: DeleteFlags, session = new Session(flags)): Promise<void> {
  const account = await session.account();
  const status = await session.vaultStatus();
  const backups = flags.backups ? await snapshotCount(session) : undefined;
  const what = describeDeletion(status, backups);
  if (!what) {
    session.say(`nothing to delete: account ${account} keeps no key in the vault${flags.backups ? ' and has no backups' : ''}.`);
    return;
  }
  if (!flags.yes) {
    if (!session.prompt.interactive) throw new ClientError('usage', `not deleting ${what} of account ${account} without --yes`);
    if (!(await session.prompt.confirm(`delete ${what} of account ${account} for good?`))) throw new ClientError('cancelled', 'cancelled; nothing was deleted');
  }
  await (await session.vault()).delete(flags.backups ? await backupsDeletion(session) : {});
  session.say(`deleted ${what} of account ${account}.`);
  if (!status.registered) session.say('the vault kept no key for this account.');
  else if (!flags.backups) session.say('the backups stay (bkv delete --backups deletes them too).');
  const owner = await session.owner();
  if (await session.device.hasKey(owner)) session.say(`this device still has the backup key (${session.device.keyPathFor(owner)}).`);
}
