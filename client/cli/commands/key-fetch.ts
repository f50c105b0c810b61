// `bkv key fetch` and `bkv key import`: get the signed-in account's backup key K onto this device without
// restoring anything (README "Device state"). `fetch` recovers K from the vault with the password (the same
// countdown and last-attempt rules as restore, client/cli/recover.ts); `import` takes the 64-digit key (stdin, a
// prompt on a terminal, or BKV_KEY). Either way K is kept only if it opens the account's repository (when there
// is one), and only for this server and account (client/device.ts). `--json` prints
// { account, server, protection, path, fetched } (fetched: false when the device already had this key).

import { readFile, rm } from 'node:fs/promises';
import { BackupKey } from '../../backup-key.js';
import { ClientError } from '../../errors.js';
import type { Protection } from '../../device.js';
import { type ConnectionFlags } from '../options.js';
import { recoverKey } from '../recover.js';
import { Session } from '../session.js';
import { readKeyText } from './key.js';
import { checkKeyOpensRepository } from './repo-common.js';

export interface KeyFetchFlags extends ConnectionFlags {
  yes?: boolean;
  force?: boolean;
  json?: boolean;
}

async function report(session: Session, flags: KeyFetchFlags, protection: Protection, fetched: boolean): Promise<void> {
  const owner = await session.owner();
  const path = session.device.keyPathFor(owner);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ account: owner.account, server: owner.server, protection, path, fetched })}\n`);
    return;
  }
  session.say(fetched ? `this device now keeps the backup key of ${owner.account} (${path}).` : `this device already keeps the backup key of ${owner.account} (${path}); nothing changed.`);
}

export async function keyFetch(flags: KeyFetchFlags, session = new Session(flags)): Promise<void> {
  const owner = await session.owner();
  if (await session.device.hasKey(owner)) {
    await report(session, flags, (await session.device.protection(owner)) ?? 'password', false);
    return;
  }
  const key = await recoverKey(session, { yes: flags.yes });
  await checkKeyOpensRepository(session, key, 'the vault\'s key');
  await session.keepKey(key, 'password');
  await report(session, flags, 'password', true);
}

export async function keyImport(flags: KeyFetchFlags, session = new Session(flags)): Promise<void> {
  const owner = await session.owner();
  let key: BackupKey;
  if (session.env.BKV_KEY) key = BackupKey.parse(session.env.BKV_KEY);
  else if (session.prompt.interactive) key = await session.prompt.backupKey();
  else key = BackupKey.parse(await readKeyText(process.stdin, 'stdin'));
  const onDevice = await session.device.readKey(owner);
  if (onDevice?.equals(key)) {
    await report(session, flags, (await session.device.protection(owner)) ?? 'key', false);
    return;
  }
  if (onDevice && !flags.force) {
    throw new ClientError('usage', `this device already keeps a different backup key for ${owner.account} (${session.device.keyPathFor(owner)}); --force replaces it`);
  }
  await checkKeyOpensRepository(session, key, 'this key');
  await session.keepKey(key, 'key');
  // an older bkv's key that named no account, now bound to this one, is no longer named by every command
  const legacy = await session.device.unboundLegacyKey();
  if (legacy && (await readFile(legacy, 'utf8')).trim() === Buffer.from(key.exposeBytes()).toString('hex')) await rm(legacy);
  await report(session, flags, 'key', true);
}
