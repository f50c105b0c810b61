// What the snapshot commands share: the backup key (--key-file, this device's key, or with `recover` the
// 64-digit key or the vault password), the open repository over the server's repository API, the error →
// and Ctrl-C as an AbortSignal (exit codes come from the errors' kinds: client/cli/exit.ts).

import { BackupKey } from '../../backup-key.js';
import { ClientError } from '../../errors.js';
import { openOrInitRepository, openRepository, type Repository } from '../../repo/repository.js';
import { type ConnectionFlags } from '../options.js';
import { recoverKey } from '../recover.js';
import { Session } from '../session.js';
import * as interrupt from '../interrupt.js';
import { readKeyFile } from './crypt.js';

export const NO_KEY_MESSAGE = 'this device has no backup key: run bkv init, or bkv restore to fetch it from the vault';

export interface RepoFlags extends ConnectionFlags {
  keyFile?: string;
}

export type KeySource = 'file' | 'device' | 'password' | 'key';

/** K from --key-file, else this device; with `recover` (restore) also the 64-digit key or the vault. */
export async function obtainKey(flags: RepoFlags & { key?: boolean; yes?: boolean }, session: Session, recover = false): Promise<{ key: BackupKey; source: KeySource }> {
  if (flags.keyFile !== undefined) return { key: await readKeyFile(flags.keyFile), source: 'file' };
  if (recover && flags.key) {
    const key = session.env.BKV_KEY ? BackupKey.parse(session.env.BKV_KEY) : await session.prompt.backupKey();
    return { key, source: 'key' };
  }
  const onDevice = await session.device.readKey();
  if (onDevice) return { key: onDevice, source: 'device' };
  if (!recover) throw new ClientError('usage', NO_KEY_MESSAGE);
  session.say('this device has no backup key: fetching it from the vault with your password.');
  return { key: await recoverKey(session, { yes: flags.yes }), source: 'password' };
}

export async function withRepository<T>(
  flags: RepoFlags & { key?: boolean; yes?: boolean }, session: Session, fn: (repo: Repository, signal: AbortSignal, source: KeySource, key: BackupKey) => Promise<T>,
  options: { create?: boolean; recover?: boolean } = {},
): Promise<T> {
  // Ctrl-C aborts `signal` until `fn` has answered; from then on the outcome is decided and the CLI finishes
  const signal = interrupt.begin();
  let repo: Repository | undefined;
  try {
    const { key, source } = await obtainKey(flags, session, options.recover);
    const store = await session.repoStore();
    const open = options.create ? openOrInitRepository : openRepository;
    repo = await open(store, key, { home: session.device.home, signal });
    // a snapshot object that fails authentication is skipped, named, and never hides the others (exit 0)
    repo.onSkip = (n, why) => session.say(`warning: skipped ${n.type}/${n.id}: ${why} (bkv check reports it)`);
    const result = await fn(repo, signal, source, key);
    interrupt.decided();
    return result;
  } finally {
    await repo?.close();
  }
}
