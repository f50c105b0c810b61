// `bkv key show`: prints the signed-in account's backup key on this device as the 64-digit key, with a warning
// (`--json`: { "account", "server", "key" } for scripts). Never another account's key (client/device.ts).

import { ClientError } from '../../errors.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';

export interface KeyShowFlags extends ConnectionFlags {
  json?: boolean;
}

export async function keyShow(flags: KeyShowFlags = {}, session = new Session(flags)): Promise<void> {
  const key = await session.deviceKey();
  if (!key) throw new ClientError('usage', await session.noKeyMessage());
  process.stderr.write('this is your backup key: anyone who has it can read your backups. keep it offline.\n');
  const owner = await session.owner();
  process.stdout.write(flags.json ? `${JSON.stringify({ account: owner.account, server: owner.server, key: key.format() })}\n` : `${key.format()}\n`);
}
