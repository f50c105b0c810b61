// Getting K back from the vault with the password, the careful way: check the vault first (no vault, locked),
// announce the last attempt before using it (a terminal asks to confirm; a script must pass --yes), and on a
// wrong password say how many attempts remain (a terminal may try again). A destroyed key is explained plainly.

import { BkvError, isBkvError } from '../../protocol/errors.js';
import { BackupKey } from '../backup-key.js';
import { ClientError } from '../errors.js';
import type { Session } from './session.js';
import { recoverWithPassword } from './vault-recover.js';

export const LOCKED_MESSAGE =
  'the vault destroyed the backup key of this account after too many wrong passwords; it cannot be recovered '
  + 'with a password any more. backups made with it can still be restored with the 64-digit key (bkv restore --key)';

export function lockedError(): BkvError {
  return new BkvError('locked', LOCKED_MESSAGE);
}

function attempts(n: number): string {
  return `${n} attempt${n === 1 ? '' : 's'}`;
}

export interface RecoverOptions {
  /** Use the last attempt without asking (non-interactive use). */
  yes?: boolean;
  question?: string;
}

/** Recovers K with the password (BKV_PASSWORD or asked for). */
export async function recoverKey(session: Session, options: RecoverOptions = {}): Promise<BackupKey> {
  const status = await session.vaultStatus();
  const account = await session.account();
  if (status.locked) throw lockedError();
  if (!status.registered) {
    throw new BkvError('not-found', `account ${account} keeps no key in the vault: restore with the 64-digit key (--key), or run bkv init --password on the device that has the key`);
  }
  let remaining = status.attemptsRemaining;
  const fromEnv = Boolean(await session.givenPassword());
  for (;;) {
    if (remaining === 1) {
      session.say('warning: this is the last attempt. a wrong password destroys the backup key in the vault for good.');
      if (!options.yes) {
        if (!session.prompt.interactive) {
          throw new ClientError('usage', 'one attempt left: not using it without --yes (a wrong password destroys the key)');
        }
        if (!(await session.prompt.confirm('use the last attempt?'))) throw new ClientError('cancelled', 'cancelled; the last attempt is still there');
      }
    }
    const password = await session.password(options.question ?? `password for ${account}: `);
    try {
      return BackupKey.fromBytes(await recoverWithPassword(session, password));
    } catch (e) {
      if (isBkvError(e, 'locked')) throw lockedError();
      if (!isBkvError(e, 'wrong-password')) throw e;
      const left = e.wireDetails('wrong-password')?.attemptsRemaining ?? remaining - 1;
      if (left <= 0) throw lockedError();
      const message = `wrong password: ${attempts(left)} left before the key is destroyed`;
      if (fromEnv || !session.prompt.interactive) throw new BkvError('wrong-password', message, { details: { attemptsRemaining: left } });
      session.say(message);
      remaining = left;
    }
  }
}
