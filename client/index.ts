// The bkv SDK: what programs use (`import { VaultClient } from 'bkv/client'`). Everything else under client/ is
// internal and may change without notice; client/age/ in particular is reached only through the backup streams.
// Errors: a server's answer is a `BkvError` (its `code` from protocol/problems.ts, typed details through
// `wireDetails(code)`); what fails on this device is a `ClientError` whose `kind` says what (client/errors.ts).

export { VaultClient, type VaultClientOptions, type Registered } from './vault-client.js';
export { ApiClient, type ApiOptions, type TokenProvider, type TokenSource } from './http.js';
export { HttpRepoStore, type HttpRepoStoreOptions } from './repo/storage/http-store.js';
export { MemoryRepoStore, type MemoryRepoStoreOptions } from './repo/storage/memory-store.js';
export {
  signIn, signOut, SignedIn, fetchSignInConfig, type SignInOptions, type SignOutResult,
} from './auth/sign-in.js';
export { TokenStore, type StoredSignIn } from './auth/token-store.js';
export { openInBrowser } from './auth/browser.js';
export type { SignInConfig } from '../protocol/sign-in.js';
export {
  createBackupEncryptStream, createBackupDecryptStream, encryptBackup, decryptBackup, backupAgeIdentity,
  backupAgeRecipient, backupEncryptedSize, type BackupStreamOptions,
} from './backup-crypto.js';
export {
  estimatePasswordStrength, generatePassphrase, type PasswordStrength, type PasswordVerdict, type StrengthOptions,
} from '../protocol/password-strength.js';
export { BackupKey, newBackupKey, formatBackupKey, parseBackupKey, BACKUP_KEY_BYTES, BACKUP_KEY_DIGITS } from './backup-key.js';
export { BkvError, isBkvError, type ErrorCode } from '../protocol/errors.js';
export { PROBLEMS, type ProblemCode, type ProblemDetails } from '../protocol/problems.js';
export { ClientError, isClientError, type ClientErrorKind, type ClientErrorDetails } from './errors.js';
export {
  openRepository, initRepository, openOrInitRepository, Repository, backup, restore, removeStaleStaging, dumpFile, listSnapshot, forget,
  forgetPlan, applyPolicy, prune, check, findSnapshot, RepoObjectMissing,
  type RepositoryOptions, type RepoConfig, type BackupOptions, type BackupProgress, type BackupResult, type BackupWarning,
  type RestoreOptions, type RestoreProgress, type RestoreResult, type ForgetGroup, type ForgetOptions, type KeepPolicy, type PruneOptions,
  type PruneProgress, type PruneResult, type CheckOptions, type CheckResult, type Snapshot, type SnapshotSummary, type Skipped, type TreeNode, type FileNode,
  type DirNode, type SymlinkNode, type WalkedNode, type RepoStore, type ObjectName, type ObjectInfo, type ObjectType, type RepoStatus,
  type RepoLock, type LockRequest, type Range,
} from './repo/sdk.js';
