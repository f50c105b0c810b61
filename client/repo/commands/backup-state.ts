// A backup's lifecycle (commands/backup.ts), as one named state machine:
//
//   walking ──walked──▶ finishing: the walk and its reads are done; the blob-writer session stores its open packs
//                                  and writes its last index (packs/blob-writer.ts)
//   finishing ──stored──▶ committing: every pack and index object is stored; the snapshot is written
//   committing ──committed──▶ committed: the snapshot is on the server (the outcome is decided)
//   walking | finishing | committing ──fail──▶ failing: a failure or Ctrl-C; reads are settled, the session aborted
//   failing ──settled──▶ aborted: an index of the packs already stored is written (never a snapshot)
//
// Any other step is a bug in the backup and throws.

export type BackupState = 'walking' | 'finishing' | 'committing' | 'committed' | 'failing' | 'aborted';
export type BackupEvent = 'walked' | 'stored' | 'committed' | 'fail' | 'settled';

const NEXT: Record<BackupState, Partial<Record<BackupEvent, BackupState>>> = {
  walking: { walked: 'finishing', fail: 'failing' },
  finishing: { stored: 'committing', fail: 'failing' },
  committing: { committed: 'committed', fail: 'failing' },
  committed: {},
  failing: { settled: 'aborted' },
  aborted: {},
};

/** The state after `event` in `state`; throws on a step the machine does not have. */
export function nextBackupState(state: BackupState, event: BackupEvent): BackupState {
  const next = NEXT[state][event];
  if (next === undefined) throw new Error(`backup cannot go from ${state} on ${event}`);
  return next;
}
