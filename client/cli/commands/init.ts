// `bkv init [--password | --key]`: makes a new backup key K on this device (kept in $BKV_HOME, mode 0600) and
// either registers it with the vault behind a password (the default) or prints it once as the 64-digit key.

import { BkvError } from '../../../protocol/errors.js';
import { formatBackupKey, newBackupKey } from '../../backup-key.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';

export interface InitFlags extends ConnectionFlags {
  password?: boolean;
  key?: boolean;
  force?: boolean;
}

export async function init(flags: InitFlags, session = new Session(flags)): Promise<void> {
  if (flags.password && flags.key) throw new BkvError('bad-request', 'choose one of --password and --key');
  if ((await session.device.hasKey()) && !flags.force) {
    throw new BkvError('bad-request', `this device already has a backup key (${session.device.keyPath}); --force makes a new one, and backups made with the old one then need the old key`);
  }
  const key = newBackupKey();
  if (flags.key) {
    await session.device.writeKey(key);
    await session.remember('key');
    session.say('your 64-digit backup key is below. write it down and keep it somewhere safe: it is the only way to restore');
    session.say('your backups on another device, and the server does not keep it. anyone who has it can read your backups.');
    process.stdout.write(`${formatBackupKey(key)}\n`);
    return;
  }
  const vault = await session.vault();
  const account = await session.account();
  const status = await vault.status();
  if (status.registered && !status.locked && !flags.force) {
    throw new BkvError('bad-request', `account ${account} already keeps a backup key in the vault: use bkv restore on this device to fetch it, or --force to replace it (backups made with the old key then need the old key)`);
  }
  const password = await session.newPassword(`new password for ${account}: `);
  const registered = await vault.register(key, password);
  await session.device.writeKey(key);
  await session.remember('password');
  session.say(`backup key created and kept in the vault behind your password (generation ${registered.generation}).`);
  session.say(`${registered.maxAttempts} wrong passwords in a row destroy it for good.`);
}
