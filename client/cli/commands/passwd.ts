// `bkv passwd`: changes the vault password. Proves the old one first (it counts as an attempt, with the same
// countdown and last-attempt warning as restore), then re-registers the same K under the new one.
// Non-interactive: BKV_PASSWORD holds the old password and BKV_NEW_PASSWORD the new one.

import type { Command } from 'commander';
import { timingSafeEqual } from 'node:crypto';
import { recoverKey } from '../recover.js';
import { connectionOptions, Session, type ConnectionFlags } from '../session.js';

interface PasswdFlags extends ConnectionFlags {
  yes?: boolean;
}

export async function passwd(flags: PasswdFlags, session = new Session(flags)): Promise<void> {
  const account = await session.account();
  const key = await recoverKey(session, { yes: flags.yes, question: `current password for ${account}: ` });
  const onDevice = await session.device.readKey();
  if (onDevice && !timingSafeEqual(onDevice, key)) {
    session.say('warning: the vault keeps a different backup key than this device; the vault\'s key keeps the new password.');
  }
  const password = await session.newPassword('new password: ', 'BKV_NEW_PASSWORD');
  const registered = await (await session.vault()).register(key, password);
  session.say(`password changed (generation ${registered.generation}); ${registered.maxAttempts} attempts left.`);
}

export function register(program: Command): void {
  connectionOptions(
    program.command('passwd')
      .description('change the password that protects the backup key in the vault')
      .option('--yes', 'use the last password attempt without asking'),
  ).action(async (flags: PasswdFlags) => passwd(flags));
}
