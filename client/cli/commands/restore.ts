// `bkv restore [--backup ID] [--key] <dir>`: downloads a backup, decrypts it and unpacks it into <dir>. The key
// is this device's K; on a device without one, the password recovers K from the vault (or --key takes the
// 64-digit key), and the device keeps it afterwards. Nothing lands in <dir> unless the whole backup decrypted and
// verified: unpacking goes to a temporary directory beside it, renamed into place at the very end.

import { pipeline } from 'node:stream/promises';
import { BkvError } from '../../../protocol/errors.js';
import { LATEST } from '../../../protocol/backups-schemas.js';
import { checkTarget, extractArchive } from '../../archive.js';
import { createBackupDecryptStream } from '../../backup-crypto.js';
import { BackupKey } from '../../backup-key.js';
import { createProgress, formatBytes } from '../progress.js';
import { recoverKey } from '../recover.js';
import { type ConnectionFlags } from '../options.js';
import { Session } from '../session.js';
import { ClientError, isClientError } from '../../errors.js';
import { cryptoWorkers } from '../workers.js';

export interface RestoreFlags extends ConnectionFlags {
  backup?: string;
  key?: boolean;
  force?: boolean;
  yes?: boolean;
}

async function obtainKey(flags: RestoreFlags, session: Session): Promise<{ key: BackupKey; source: 'device' | 'password' | 'key' }> {
  if (flags.key) {
    const key = session.env.BKV_KEY ? BackupKey.parse(session.env.BKV_KEY) : await session.prompt.backupKey();
    return { key, source: 'key' };
  }
  const onDevice = await session.device.readKey();
  if (onDevice) return { key: onDevice, source: 'device' };
  session.say('this device has no backup key: fetching it from the vault with your password.');
  return { key: await recoverKey(session, { yes: flags.yes }), source: 'password' };
}

export async function restore(dir: string, flags: RestoreFlags, session = new Session(flags)): Promise<void> {
  await checkTarget(dir, { force: flags.force }); // fail before spending a password attempt
  const backups = await session.backups();
  const ref = flags.backup ?? LATEST;
  const info = await backups.get(ref).catch((e: unknown) => {
    if (e instanceof BkvError && e.code === 'not-found') {
      throw new BkvError('not-found', ref === LATEST ? 'this account has no backups yet' : `no backup ${ref} in this account`);
    }
    throw e;
  });
  const { key, source } = await obtainKey(flags, session);
  session.say(`restoring backup ${info.backupId} (${formatBytes(info.size)}, ${info.createdAt}) into ${dir}`);
  const progress = createProgress('download');
  let result;
  try {
    const { stream } = await backups.download(info.backupId, { onProgress: (p) => progress.update(p.done, p.total) });
    result = await extractArchive(dir, (sink) => pipeline(stream, createBackupDecryptStream(key, { workers: cryptoWorkers(session.env) }), sink), { force: flags.force });
  } catch (e) {
    // the same kinds, with what they mean for this restore
    if (isClientError(e, 'wrong-key')) {
      throw new ClientError('wrong-key', source === 'key'
        ? `wrong key: backup ${info.backupId} was not made with this 64-digit key; nothing was restored`
        : `wrong key: backup ${info.backupId} was made with another backup key; nothing was restored`, {}, { cause: e });
    }
    if (isClientError(e, 'damaged')) {
      throw new ClientError('damaged', `backup ${info.backupId} is damaged or was tampered with (${e.details.check} check failed): nothing was restored and ${dir} is untouched`, e.details, { cause: e });
    }
    throw e;
  } finally {
    progress.stop();
  }
  if (source !== 'device' && !(await session.device.hasKey())) {
    await session.device.writeKey(key);
    await session.remember(source === 'key' ? 'key' : 'password');
    session.say(`this device now keeps the backup key (${session.device.keyPath}).`);
  }
  session.say(`restored ${result.files} files (${formatBytes(result.bytes)}) into ${dir}`);
}
