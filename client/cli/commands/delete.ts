// `bkv delete [--backups]`: deletes this account's key from the vault (and with --backups, every backup). Asks
// on a terminal; scripts pass --yes. The key on this device stays (bkv key show), so backups not deleted can
// still be restored here or with the 64-digit key.

import type { Command } from 'commander';
import { BkvError } from '../../../protocol/errors.js';
import { connectionOptions, Session, type ConnectionFlags } from '../session.js';

interface DeleteFlags extends ConnectionFlags {
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

export function register(program: Command): void {
  connectionOptions(
    program.command('delete')
      .description('delete the key kept in the vault for this account (and with --backups, every backup)')
      .option('--backups', 'also delete every backup of the account')
      .option('--yes', 'do not ask'),
  ).action(async (flags: DeleteFlags) => remove(flags));
}
