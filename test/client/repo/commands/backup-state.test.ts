// A backup's lifecycle (client/repo/commands/backup-state.ts): the machine's steps, exactly, and the states a real
// backup goes through when it commits, when Ctrl-C stops its walk, and when its snapshot cannot be stored.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../../../client/repo/commands/backup.js';
import { nextBackupState, type BackupEvent, type BackupState } from '../../../../client/repo/commands/backup-state.js';
import { freshRepo, tempDir } from '../engine-helpers.js';

const STATES: BackupState[] = ['walking', 'finishing', 'committing', 'committed', 'failing', 'aborted'];
const EVENTS: BackupEvent[] = ['walked', 'stored', 'committed', 'fail', 'settled'];
const LEGAL: Record<string, BackupState> = {
  'walking walked': 'finishing', 'walking fail': 'failing', 'finishing stored': 'committing', 'finishing fail': 'failing',
  'committing committed': 'committed', 'committing fail': 'failing', 'failing settled': 'aborted',
};

function tree(): string {
  const src = tempDir('bkv-src-');
  mkdirSync(join(src, 'd'));
  writeFileSync(join(src, 'd', 'f'), 'hello');
  writeFileSync(join(src, 'g'), 'world');
  return src;
}

describe('backup lifecycle', () => {
  it.for(STATES.flatMap((s) => EVENTS.map((e) => [s, e] as const)))('%s on %s', ([state, event]) => {
    const want = LEGAL[`${state} ${event}`];
    if (want !== undefined) expect(nextBackupState(state, event)).toBe(want);
    else expect(() => nextBackupState(state, event)).toThrow(`backup cannot go from ${state} on ${event}`);
  });

  it('a committed backup goes walking → finishing → committing → committed', async () => {
    const { repo } = await freshRepo();
    const seen: BackupState[] = [];
    await backup(repo, { paths: [tree()], onState: (s) => seen.push(s) });
    expect(seen).toEqual(['walking', 'finishing', 'committing', 'committed']);
  });

  it('Ctrl-C during the walk goes walking → failing → aborted, and no snapshot is stored', async () => {
    const { repo, store } = await freshRepo();
    const seen: BackupState[] = [];
    const controller = new AbortController();
    const run = backup(repo, { paths: [tree()], signal: controller.signal, onState: (s) => seen.push(s), beforeRead: () => controller.abort(new Error('ctrl-c')) });
    await expect(run).rejects.toThrow('ctrl-c');
    expect(seen).toEqual(['walking', 'failing', 'aborted']);
    expect([...store.objects.keys()].filter((k) => k.startsWith('snapshots/'))).toEqual([]);
  });

  it('a snapshot the store refuses goes committing → failing → aborted', async () => {
    const { repo, store } = await freshRepo();
    const seen: BackupState[] = [];
    store.hook = (op, name) => {
      if (op === 'put' && name?.type === 'snapshots') throw new Error('refused');
    };
    await expect(backup(repo, { paths: [tree()], onState: (s) => seen.push(s) })).rejects.toThrow('refused');
    expect(seen).toEqual(['walking', 'finishing', 'committing', 'failing', 'aborted']);
    expect([...store.objects.keys()].filter((k) => k.startsWith('snapshots/'))).toEqual([]);
  });
});
