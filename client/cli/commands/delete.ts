// `bkv delete [--backups]`: deletes this account's key from the vault (and with --backups, every backup). Asks
// on a terminal; scripts pass --yes. The key on this device stays (bkv key show), so backups not deleted can
// still be restored here or with the 64-digit key.

import { BkvError } from '../../../protocol/errors.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';

export interface DeleteFlags extends ConnectionFlags {
  backups?: boolean;
  yes?: boolean;
}

export async function remove(flags: DeleteFlags, session = new Session(flags)): Promise<void> {
  const account = await session.account();
  const what = flags.backups ? 'the vault key and every backup' : 'the vault key';
  if (!flags.yes) {
    if (!session.prompt.interactive) throw new BkvError('bad-request', `not deleting ${what} of ${account} without --yes`);
    if (!(await session.prompt.confirm(`delete ${what} of account ${account} for good?`))) throw new BkvError('bad-request', 'cancelled');
  }
  await (await session.vault()).delete({ backups: Boolean(flags.backups) });
  session.say(`deleted ${what} of account ${account}.`);
  if (await session.device.hasKey()) session.say(`this device still has the backup key (${session.device.keyPath}).`);
}
