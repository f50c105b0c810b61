// A file that cannot be read is skipped with a warning naming it and the snapshot is marked incomplete (the
// test runs as root, which chmod 000 cannot stop, so the file disappears between the directory listing and
// the read, as on a live system); a file that changes while read is reported; a FIFO is stored (metadata.test.ts).

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, type BackupWarning } from '../../../client/repo/commands/backup.js';
import { listSnapshot } from '../../../client/repo/commands/ls.js';
import { freshRepo, tempDir } from './engine-helpers.js';

describe('unreadable and changing files', () => {
  it('a file gone before it is read is skipped, named, and the snapshot is incomplete', async () => {
    const { repo } = await freshRepo();
    const root = join(tempDir(), 'tree');
    mkdirSync(root);
    writeFileSync(join(root, 'keep'), 'keep');
    writeFileSync(join(root, 'vanishes'), 'gone');
    const warnings: BackupWarning[] = [];
    const { snapshot } = await backup(repo, {
      paths: [root], onWarning: (w) => warnings.push(w), beforeRead: (p) => { if (p.endsWith('vanishes')) rmSync(p); },
    });
    expect(snapshot.incomplete).toBe(true);
    expect(snapshot.skipped).toEqual([{ path: join(root, 'vanishes'), error: 'cannot read: ENOENT' }]);
    expect(warnings.map((w) => w.path)).toContain(join(root, 'vanishes'));
    const names: string[] = [];
    for await (const e of listSnapshot(repo, snapshot)) names.push(e.path);
    expect(names).toEqual(['tree', 'tree/keep']);
    expect(snapshot.summary.files).toBe(1);
  });

  it('a file that grows while it is read is reported as changed (stored, the snapshot complete); a FIFO is stored', async () => {
    const { repo } = await freshRepo();
    const root = join(tempDir(), 'tree');
    mkdirSync(root);
    writeFileSync(join(root, 'growing'), 'abc');
    execFileSync('mkfifo', [join(root, 'fifo')]);
    const warnings: BackupWarning[] = [];
    const { snapshot } = await backup(repo, {
      paths: [root], onWarning: (w) => warnings.push(w), beforeRead: (p) => { if (p.endsWith('growing')) appendFileSync(p, 'more'); },
    });
    expect(warnings).toContainEqual({ path: join(root, 'growing'), message: 'changed while reading (grew)', kind: 'changed' });
    expect(warnings.map((w) => w.path)).not.toContain(join(root, 'fifo'));
    expect(snapshot.incomplete).toBe(false);
    const names: string[] = [];
    for await (const e of listSnapshot(repo, snapshot)) names.push(`${e.node.type}:${e.path}`);
    expect(names).toContain('fifo:tree/fifo');
  });
});
