// The SDK's public surface: `bkv/client` (package self-reference through the `exports` map) gives programs the
// vault and backups clients, the backup streams, the key helpers and the error types, and nothing internal.

import { describe, expect, it } from 'vitest';

describe('bkv/client', () => {
  it('exports exactly the public surface', async () => {
    const sdk = await import('bkv/client');
    expect(Object.keys(sdk).sort()).toEqual([
      'BACKUP_KEY_BYTES', 'BACKUP_KEY_DIGITS', 'ApiClient', 'BackupKey', 'BkvError', 'ClientError', 'PROBLEMS', 'VaultClient', 'backupAgeIdentity',
      'backupAgeRecipient', 'backupEncryptedSize', 'createBackupDecryptStream', 'createBackupEncryptStream', 'decryptBackup',
      'encryptBackup', 'estimatePasswordStrength', 'formatBackupKey', 'generatePassphrase', 'isBkvError', 'isClientError', 'newBackupKey', 'parseBackupKey',
      'SignedIn', 'TokenStore', 'fetchSignInConfig', 'openInBrowser', 'signIn', 'signOut',
      // the snapshot engine (client/repo/sdk.ts)
      'RepoObjectMissing', 'Repository', 'applyPolicy', 'backup', 'check', 'dumpFile', 'findSnapshot', 'forget', 'forgetPlan', 'initRepository',
      'HttpRepoStore', 'MemoryRepoStore', 'listSnapshot', 'openOrInitRepository', 'openRepository', 'prune', 'removeStaleStaging', 'restore',
    ].sort());
  });

  it('round-trips a backup through the exported streams with an exported key', async () => {
    const { newBackupKey, encryptBackup, decryptBackup, formatBackupKey, parseBackupKey } = await import('bkv/client');
    const key = parseBackupKey(formatBackupKey(newBackupKey()));
    const plain = new TextEncoder().encode('hello');
    expect(Buffer.from(await decryptBackup(await encryptBackup(plain, key), key)).toString()).toBe('hello');
  });

  it('internal modules are not reachable through the package', async () => {
    const internal = ['bkv', 'client', 'age', 'index.js'].join('/');
    await expect(import(/* @vite-ignore */ internal)).rejects.toThrow(/not exported|failed to (resolve|load)/i);
  });
});
