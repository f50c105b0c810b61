// `bkv backup <dir>`: packs the directory into a tar stream of known length, encrypts it to K with age, and
// uploads it in parallel parts; the new backup replaces nothing until it is complete and committed.

import { pipeline } from 'node:stream';
import { ClientError } from '../../errors.js';
import { packDirectory } from '../../archive.js';
import { backupEncryptedSize, createBackupEncryptStream } from '../../backup-crypto.js';
import { createProgress, formatBytes } from '../progress.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';
import { cryptoWorkers } from '../workers.js';

export const NO_KEY_MESSAGE = 'this device has no backup key: run bkv init, or bkv restore to fetch it from the vault';

export async function backup(dir: string, flags: ConnectionFlags, session = new Session(flags)): Promise<void> {
  const key = await session.device.readKey();
  if (!key) throw new ClientError('usage', NO_KEY_MESSAGE);
  const warn = (m: string) => session.say(`warning: ${m}`);
  const packed = await packDirectory(dir, warn);
  const size = backupEncryptedSize(packed.size);
  const { files, directories, bytes } = packed.stats;
  session.say(`backing up ${dir}: ${files} files in ${directories + 1} directories, ${formatBytes(bytes)}`);
  const backups = await session.backups();
  const progress = createProgress('upload');
  const started = Date.now();
  const encrypted = pipeline(packed.stream(warn), createBackupEncryptStream(key, { workers: cryptoWorkers(session.env) }), () => {});
  let info;
  try {
    info = await backups.upload(encrypted, size, { onProgress: (p) => progress.update(p.done, p.total) });
  } finally {
    progress.stop();
    encrypted.destroy();
  }
  const seconds = (Date.now() - started) / 1000;
  session.say(`backup ${info.backupId} committed: ${formatBytes(info.size)} in ${seconds.toFixed(1)} s`);
  process.stdout.write(`${info.backupId}\n`);
}
