// `bkv passwd`: changes the vault password. Proves the current one first (it counts as an attempt, with the same
// countdown and last-attempt warning as restore), then re-registers the same K under the new one. When the vault
// keeps no key for the account, or destroyed it, a device that has K puts it back under a new password instead.
// Non-interactive: BKV_PASSWORD holds the current password and BKV_NEW_PASSWORD the new one. The new password
// is checked like init's (client/cli/new-password.ts); --yes also accepts a weak one, --generate-password makes one.

import type { BackupKey } from '../../backup-key.js';
import { BkvError } from '../../../protocol/errors.js';
import { chooseNewPassword, showGenerated } from '../new-password.js';
import { recoverKey } from '../recover.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';

export interface PasswdFlags extends ConnectionFlags {
  yes?: boolean;
  generatePassword?: boolean;
}

export async function passwd(flags: PasswdFlags, session = new Session(flags)): Promise<void> {
  const account = await session.account();
  const vault = await session.vault();
  const status = await vault.status();
  const onDevice = await session.deviceKey();
  let key: BackupKey;
  if (!status.registered || status.locked) {
    if (!onDevice) throw new BkvError(status.locked ? 'locked' : 'not-found', status.locked
      ? 'the vault destroyed the backup key of this account and this device has no copy: restore with the 64-digit key (bkv restore --key), then run bkv passwd'
      : `account ${account} keeps no key in the vault and this device has none: run bkv init`);
    session.say(status.locked
      ? 'the vault destroyed its copy of the key; this device has it and puts it back under a new password.'
      : 'the vault keeps no key for this account; this device puts its key there under a new password.');
    key = onDevice;
  } else {
    key = await recoverKey(session, { yes: flags.yes, question: `current password for ${account}: ` });
    if (onDevice && !onDevice.equals(key)) {
      session.say('warning: the vault keeps a different backup key than this device; the vault\'s key gets the new password.');
    }
  }
  const { password, generated } = await chooseNewPassword(session, {
    account, question: 'new password: ', envName: 'BKV_NEW_PASSWORD', yes: flags.yes, generate: flags.generatePassword,
    maxAttempts: status.maxAttempts || undefined,
  });
  const registered = await vault.register(key, password);
  if (generated) showGenerated(session, generated);
  if (onDevice?.equals(key)) await session.keepKey(key, 'password');
  session.say(`password changed (generation ${registered.generation}); ${registered.maxAttempts} attempts left.`);
}
