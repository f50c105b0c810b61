// `bkv key show`: prints this device's backup key as the 64-digit key, with a warning. Added to the `key`
// command group (created here if the key tools are not registered).

import { ClientError } from '../../errors.js';
import { DeviceState, defaultHome } from '../../device.js';
import { NO_KEY_MESSAGE } from './repo-common.js';

export async function keyShow(device = new DeviceState(defaultHome())): Promise<void> {
  const key = await device.readKey();
  if (!key) throw new ClientError('usage', NO_KEY_MESSAGE);
  process.stderr.write('this is your backup key: anyone who has it can read your backups. keep it offline.\n');
  process.stdout.write(`${key.format()}\n`);
}
