// `restore --include/--exclude` take the patterns `backup --exclude` takes (client/repo/fs/exclude.ts), matched
// against each entry's original absolute path; the directories leading to what is included come along, nothing
// else; and a pattern that matches nothing is a usage error that leaves no target behind (before, `--include
// 'etc/*.conf'` or a path that did not exist restored 0 files with exit 0).

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../../../client/repo/commands/backup.js';
import { restore } from '../../../../client/repo/commands/restore.js';
import { isClientError } from '../../../../client/errors.js';
import { describeTree, freshRepo, tempDir } from '../engine-helpers.js';

function tree(): string {
  const root = join(tempDir(), 'etc');
  for (const f of ['a.conf', 'b.conf', 'c.txt', 'sub/d.conf', 'sub/e.txt', 'ssh/sshd_config', 'empty/']) {
    if (f.endsWith('/')) mkdirSync(join(root, f), { recursive: true });
    else {
      mkdirSync(join(root, f, '..'), { recursive: true });
      writeFileSync(join(root, f), f);
    }
  }
  return root;
}

async function restored(include: string[], exclude: string[] = []): Promise<string[]> {
  const { repo, home } = await freshRepo();
  const { snapshot } = await backup(repo, { paths: [tree()] });
  const out = join(tempDir(), 'out');
  await restore(repo, snapshot, out, { home, include, exclude });
  return Object.entries(describeTree(out)).map(([p, e]) => (e.type === 'dir' ? `${p}/` : p)).sort();
}

describe('restore --include / --exclude', () => {
  it.for([
    [['etc/*.conf'], [], ['etc/', 'etc/a.conf', 'etc/b.conf']],
    [['*.conf'], [], ['etc/', 'etc/a.conf', 'etc/b.conf', 'etc/sub/', 'etc/sub/d.conf']],
    [['etc/**/*.conf'], [], ['etc/', 'etc/a.conf', 'etc/b.conf', 'etc/sub/', 'etc/sub/d.conf']],
    [['etc/sub'], [], ['etc/', 'etc/sub/', 'etc/sub/d.conf', 'etc/sub/e.txt']],
    [['etc/sub'], ['*.txt'], ['etc/', 'etc/sub/', 'etc/sub/d.conf']],
    [[], ['sub', 'ssh'], ['etc/', 'etc/a.conf', 'etc/b.conf', 'etc/c.txt', 'etc/empty/']],
    [['etc/empty'], [], ['etc/', 'etc/empty/']],
  ] as const)('include %j exclude %j', async ([include, exclude, want]) => {
    expect(await restored([...include], [...exclude])).toEqual(want);
  });

  it('the original absolute path works as a pattern', async () => {
    const { repo, home } = await freshRepo();
    const root = tree();
    const { snapshot } = await backup(repo, { paths: [root] });
    const out = join(tempDir(), 'out');
    await restore(repo, snapshot, out, { home, include: [join(root, 'ssh')] });
    expect(readdirSync(join(out, 'etc'))).toEqual(['ssh']);
  });

  it.for([
    [['etc/*.cfg'], [], /--include etc\/\*\.cfg matches nothing/],
    [['no/such/path'], [], /--include no\/such\/path matches nothing/],
    [['etc/*.conf', 'nothing-here'], [], /--include nothing-here matches nothing/],
    [[], ['*.bak'], /--exclude \*\.bak matches nothing/],
  ] as const)('include %j exclude %j: a usage error, and no target', async ([include, exclude, message]) => {
    const { repo, home } = await freshRepo();
    const { snapshot } = await backup(repo, { paths: [tree()] });
    const parent = tempDir();
    const out = join(parent, 'out');
    const error = await restore(repo, snapshot, out, { home, include: [...include], exclude: [...exclude] }).catch((e: unknown) => e);
    expect(isClientError(error, 'usage')).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });
});
