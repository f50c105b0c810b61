// What the snapshot commands share: the backup key (--key-file, this device's key, or with `recover` the
// 64-digit key or the vault password), the open repository over the server's repository API, the error →
// and Ctrl-C as an AbortSignal (exit codes come from the errors' kinds: client/cli/exit.ts).

import { BackupKey } from '../../backup-key.js';
import { ClientError, isClientError } from '../../errors.js';
import { describeRollback } from '../../repo/snapshots/find.js';
import { journaledStore } from '../../repo/storage/lock-journal.js';
import { openOrInitRepository, openRepository, type Repository } from '../../repo/repository.js';
import { type ConnectionFlags } from '../options.js';
import { recoverKey } from '../recover.js';
import { Session } from '../session.js';
import * as interrupt from '../interrupt.js';
import { readKeyFile } from './crypt.js';

export interface RepoFlags extends ConnectionFlags {
  keyFile?: string;
  /** Take the server's listing although it lacks a newer snapshot this device has seen (client/repo/snapshots/seen.ts). */
  acceptRollback?: boolean;
}

export type KeySource = 'file' | 'device' | 'password' | 'key';

/** K from --key-file, else this device; with `recover` (restore) also the 64-digit key or the vault. */
export async function obtainKey(flags: RepoFlags & { key?: boolean; yes?: boolean }, session: Session, recover = false): Promise<{ key: BackupKey; source: KeySource }> {
  if (flags.keyFile !== undefined) return { key: await readKeyFile(flags.keyFile), source: 'file' };
  if (recover && flags.key) {
    const key = session.env.BKV_KEY ? BackupKey.parse(session.env.BKV_KEY) : await session.prompt.backupKey();
    return { key, source: 'key' };
  }
  // only the signed-in account's own K: a key kept for another account is never used (client/device.ts)
  const onDevice = await session.deviceKey();
  if (onDevice) return { key: onDevice, source: 'device' };
  if (!recover) throw new ClientError('usage', await session.noKeyMessage());
  session.say(`this device has no backup key for ${(await session.owner()).account}: fetching it from the vault with your password.`);
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
    // the locks this device takes are recorded, so bkv unlock can remove one a killed command left (lock-journal.ts)
    const store = journaledStore(await session.repoStore(), session.device.home);
    const open = options.create ? openOrInitRepository : openRepository;
    repo = await open(store, key, { home: session.device.home, signal, acceptRollback: flags.acceptRollback === true });
    // a snapshot object that fails authentication is skipped, named, and never hides the others (exit 0)
    repo.onSkip = (n, why) => session.say(`warning: skipped ${n.type}/${n.id}: ${why} (bkv check reports it)`);
    const result = await fn(repo, signal, source, key);
    interrupt.decided();
    for (const r of repo.accepted) session.say(`warning: accepted (--accept-rollback): ${describeRollback(r)}`);
    // a command that does not pick `latest` still says it loudly (restore/ls/dump latest refuse: client/repo/snapshots/find.ts)
    for (const r of repo.rollbacks) {
      session.say(`WARNING: possible rollback: ${describeRollback(r)}. the server may be hiding newer snapshots; \`latest\` is refused until you run with --accept-rollback (if another device of yours forgot it)`);
    }
    return result;
  } finally {
    await repo?.close();
  }
}

/**
 * Refuses `key` unless it opens the account's repository (when it has one), before the key is kept on this
 * device: the repository's config decrypts only under the key that made it (client/repo/repository.ts).
 */
export async function checkKeyOpensRepository(session: Session, key: BackupKey, what: string): Promise<void> {
  const store = await session.repoStore();
  if ((await store.status()).repositoryId === null) return;
  let repo: Repository;
  try {
    repo = await openRepository(store, key, { workers: 0 });
  } catch (e) {
    if (!isClientError(e, 'wrong-key')) throw e;
    const account = (await session.owner()).account;
    throw new ClientError('wrong-key', `${what} does not open the repository of ${account} (it is under another backup key): not kept on this device. `
      + 'import the key the repository was made with: bkv key import (the 64-digit key)', {}, { cause: e });
  }
  await repo.close();
}
