// What the snapshot commands share: the backup key (--key-file, this device's key, or with `recover` the
// 64-digit key or the vault password), the open repository over the server's repository API, the error →
// exit code mapping of the engine's errors (wrong key 3, damaged 5), and Ctrl-C as an AbortSignal.

import { BkvError } from '../../../protocol/errors.js';
import { isAgeError } from '../../age/index.js';
import { parseBackupKey } from '../../backup-key.js';
import { openOrInitRepository, openRepository, type Repository } from '../../repo/repository.js';
import { EXIT, ExitError } from '../exit.js';
import { type ConnectionFlags } from '../options.js';
import { recoverKey } from '../recover.js';
import { Session } from '../session.js';
import { readKeyFile } from './crypt.js';

export const NO_KEY_MESSAGE = 'this device has no backup key: run bkv init, or bkv restore to fetch it from the vault';

export interface RepoFlags extends ConnectionFlags {
  keyFile?: string;
}

export type KeySource = 'file' | 'device' | 'password' | 'key';

/** K from --key-file, else this device; with `recover` (restore) also the 64-digit key or the vault. */
export async function obtainKey(flags: RepoFlags & { key?: boolean; yes?: boolean }, session: Session, recover = false): Promise<{ key: Uint8Array; source: KeySource }> {
  if (flags.keyFile !== undefined) return { key: await readKeyFile(flags.keyFile), source: 'file' };
  if (recover && flags.key) {
    const key = session.env.BKV_KEY ? parseBackupKey(session.env.BKV_KEY) : await session.prompt.backupKey();
    return { key, source: 'key' };
  }
  const onDevice = await session.device.readKey();
  if (onDevice) return { key: onDevice, source: 'device' };
  if (!recover) throw new BkvError('bad-request', NO_KEY_MESSAGE);
  session.say('this device has no backup key: fetching it from the vault with your password.');
  return { key: await recoverKey(session, { yes: flags.yes }), source: 'password' };
}

/** Maps the engine's errors to the CLI's exit codes. */
export function mapRepoError(e: unknown): never {
  if (e instanceof BkvError && (e.details as { kind?: string }).kind === 'wrong-key') throw new ExitError('bad-request', e.message, EXIT.wrongSecret, { cause: e });
  if (isAgeError(e, 'no-match')) throw new ExitError('bad-request', 'wrong key: an object of the repository was made with another backup key', EXIT.wrongSecret, { cause: e });
  if (e instanceof BkvError && ['damaged', 'unsafe-entry'].includes((e.details as { kind?: string }).kind ?? '')) {
    throw new ExitError('bad-request', e.message, EXIT.damaged, { cause: e });
  }
  throw e;
}

export async function withRepository<T>(
  flags: RepoFlags & { key?: boolean; yes?: boolean }, session: Session, fn: (repo: Repository, signal: AbortSignal, source: KeySource, key: Uint8Array) => Promise<T>,
  options: { create?: boolean; recover?: boolean } = {},
): Promise<T> {
  const controller = new AbortController();
  const onInt = () => controller.abort(new BkvError('bad-request', 'cancelled (ctrl-c): nothing was committed'));
  process.once('SIGINT', onInt);
  let repo: Repository | undefined;
  try {
    const { key, source } = await obtainKey(flags, session, options.recover);
    const store = await session.repoStore();
    const open = options.create ? openOrInitRepository : openRepository;
    repo = await open(store, key, { home: session.device.home, signal: controller.signal });
    return await fn(repo, controller.signal, source, key);
  } catch (e) {
    return mapRepoError(e);
  } finally {
    process.removeListener('SIGINT', onInt);
    await repo?.close();
  }
}
