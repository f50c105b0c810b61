// The snapshot engine's public entry points, re-exported by client/index.ts (`bkv/client`): open or create the
// account's repository under K over any RepoStore, then back up, list, restore, dump, forget, prune and check,
// each with progress callbacks and an AbortSignal.

export { openRepository, initRepository, openOrInitRepository, Repository, type RepositoryOptions, type RepoConfig } from './repository.js';
export { backup, type BackupOptions, type BackupProgress, type BackupResult, type BackupWarning } from './commands/backup.js';
export { restore, removeStaleStaging, type RestoreOptions, type RestoreProgress, type RestoreResult } from './commands/restore.js';
export { dumpFile } from './commands/dump.js';
export { listSnapshot } from './commands/ls.js';
export { forget, forgetPlan, applyPolicy, type ForgetGroup, type ForgetOptions, type KeepPolicy } from './commands/forget.js';
export { prune, type PruneOptions, type PruneProgress, type PruneResult } from './commands/prune.js';
export { check, type CheckOptions, type CheckResult } from './commands/check.js';
export { findSnapshot } from './snapshots/find.js';
export type { Snapshot, SnapshotSummary, Skipped } from './snapshot.js';
export type { TreeNode, FileNode, DirNode, SymlinkNode } from './tree.js';
export type { WalkedNode } from './snapshots/walk.js';
export { RepoObjectMissing, type RepoStore, type ObjectName, type ObjectInfo, type ObjectType, type RepoStatus, type RepoLock, type LockRequest, type Range } from './storage/store.js';
