// `bkv init [--password | --key]`: makes a new backup key K on this device (kept in $BKV_HOME, mode 0600) and
// either registers it with the vault behind a password (the default) or prints it once as the 64-digit key.
// The new password is checked first (client/cli/new-password.ts): refused ones are asked again or exit 2, weak
// ones need a confirmation or --yes; --generate-password makes six diceware words and shows them once. A new K
// is refused when the account already has one in the vault (without --force) or a repository (always).

import { BkvError } from '../../../protocol/errors.js';
import { ClientError } from '../../errors.js';
import { BackupKey } from '../../backup-key.js';
import { chooseNewPassword, showGenerated } from '../new-password.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';
import { guardians } from '../realm-pin.js';
import { realmLines } from '../realm-lines.js';

export interface InitFlags extends ConnectionFlags {
  password?: boolean;
  key?: boolean;
  force?: boolean;
  yes?: boolean;
  generatePassword?: boolean;
}

/**
 * A new K is refused when the account already keeps one in the vault (unless --force, which replaces it) or
 * already has a repository, which is under the key that made it: a new K could never read or add to it.
 */
export async function refuseIfAccountHasKey(flags: InitFlags, session: Session): Promise<void> {
  const account = await session.account();
  const vault = await session.vaultStatus();
  if (vault.registered && !vault.locked && !flags.force) {
    throw new ClientError('usage', `account ${account} already keeps a backup key in the vault: get it onto this device with bkv key fetch (the password), or --force to replace it (backups made with the old key then need the old key)`);
  }
  let repositoryId: string | null = null;
  try {
    repositoryId = (await (await session.repoStore()).status()).repositoryId;
  } catch (e) {
    if (!(e instanceof BkvError && e.code === 'not-found')) throw e;
  }
  if (repositoryId !== null) {
    throw new ClientError('wrong-key', `account ${account} already has a repository, under the backup key that made it: a new key could not read it. `
      + 'get that key onto this device instead: bkv key fetch (the vault password) or bkv key import (the 64-digit key, or bkv restore --key)');
  }
}

export async function init(flags: InitFlags, session = new Session(flags)): Promise<void> {
  if (flags.password && flags.key) throw new ClientError('usage', 'choose one of --password and --key');
  if (flags.key && flags.generatePassword) throw new ClientError('usage', '--generate-password makes a password: it does not go with --key');
  const owner = await session.owner();
  if ((await session.device.hasKey(owner)) && !flags.force) {
    throw new ClientError('usage', `this device already has a backup key for ${owner.account} (${session.device.keyPathFor(owner)}); --force makes a new one, and backups made with the old one then need the old key`);
  }
  await refuseIfAccountHasKey(flags, session);
  const key = BackupKey.generate();
  if (flags.key) {
    await session.keepKey(key, 'key');
    session.say('your 64-digit backup key is below. write it down and keep it somewhere safe: it is the only way to restore');
    session.say('your backups on another device, and the server does not keep it. anyone who has it can read your backups.');
    process.stdout.write(`${key.format()}\n`);
    return;
  }
  const vault = await session.vault();
  const account = await session.account();
  const status = await vault.status();
  if (status.registered && !status.locked && !flags.force) {
    throw new ClientError('usage', `account ${account} already keeps a backup key in the vault: get it onto this device with bkv key fetch (the password), or --force to replace it (backups made with the old key then need the old key)`);
  }
  const { password, generated } = await chooseNewPassword(session, {
    account, question: `new password for ${account}: `, envName: 'BKV_PASSWORD', yes: flags.yes, generate: flags.generatePassword,
    maxAttempts: status.maxAttempts || undefined,
  });
  const registered = await vault.register(key, password);
  if (generated) showGenerated(session, generated);
  await session.keepKey(key, 'password');
  const realms = await session.realmSet();
  session.say(`backup key created and kept in the vault behind your password (generation ${registered.generation}).`);
  session.say(`guarded by ${guardians(realms)}.`);
  if (realms) {
    // attempts per realm, as each realm recorded them (an uncounted status read)
    const view = await vault.status();
    for (const line of realmLines(view.realms?.realms ?? [])) session.say(line);
  }
  session.say(`${registered.maxAttempts} wrong passwords in a row destroy it for good.`);
}
