// `bkv backup --exclude` and friends mean what restic's "Excluding files" says: each case backs up one real tree
// into a memory repository and asserts what is and is not in the snapshot (client/repo/fs/exclude.ts). The first
// rows are the traps a new user fell into (`**/node_modules` also skipped `my_node_modules`, `a/**/b` matched
// `a/zb`); the rest are restic's documented examples, `!` re-includes, case, marker files and pattern files.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, checkBackupPaths, type BackupOptions } from '../../../../client/repo/commands/backup.js';
import { CACHEDIR_TAG, Excluder } from '../../../../client/repo/fs/exclude.js';
import { listSnapshot } from '../../../../client/repo/commands/ls.js';
import { isClientError } from '../../../../client/errors.js';
import { freshRepo, tempDir } from '../engine-helpers.js';

/** The files of the tree every case backs up (paths under its root `t`). */
const FILES = [
  'node_modules/x.js', 'my_node_modules/important.txt', 'src/node_modules/y.js', 'src/app.js',
  'a/zb/f', 'a/b/f', 'a/x/y/b/f', 'a/bc/f',
  'foo/bar/file', 'dir/foo/bar/file', 'dir/foobar/file', 'barfoo/file',
  'bin/bash', 'usr/bin/restic', 'x.go', 'sub/y.go', 'sub/y.golang',
  'home/user/work/keep.txt', 'home/user/other/drop.txt', 'home/user/top.txt',
  'Photos/IMG.JPG', 'Photos/img.jpg', 'Photos/raw.cr2',
  'f(1)/in', 'a|b/in', '.hidden/h', 'spaces in name/s',
  'cache/CACHEDIR.TAG', 'cache/blob', 'faketag/CACHEDIR.TAG', 'faketag/kept', 'marked/.nobackup', 'marked/m',
];

function makeTree(): string {
  const root = join(tempDir(), 't');
  for (const f of FILES) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), f.endsWith('CACHEDIR.TAG') && f.startsWith('cache/') ? `${CACHEDIR_TAG.split(':').slice(1).join(':')}\n# a cache\n` : f);
  }
  return root;
}

async function filesIn(options: Omit<BackupOptions, 'paths'>, rootFor?: (root: string) => Omit<BackupOptions, 'paths'>): Promise<string[]> {
  const { repo } = await freshRepo();
  const root = makeTree();
  const { snapshot } = await backup(repo, { paths: [root], ...options, ...rootFor?.(root) });
  const out: string[] = [];
  for await (const e of listSnapshot(repo, snapshot)) if (e.node.type === 'file') out.push(e.path.slice('t/'.length));
  return out.sort();
}

/** [patterns, paths that must be left out (everything else must be in)] */
const CASES: [string, string[], string[]][] = [
  ['** spans whole components only', ['**/node_modules'], ['node_modules/x.js', 'src/node_modules/y.js']],
  ['a name matches any whole component', ['node_modules'], ['node_modules/x.js', 'src/node_modules/y.js']],
  ['a/**/b matches zero or more directories, never part of a name', ['a/**/b'], ['a/b/f', 'a/x/y/b/f']],
  ['restic: foo matches /dir1/foo/dir2/file and /dir/foo, not foobar or barfoo', ['foo'], ['foo/bar/file', 'dir/foo/bar/file']],
  ['restic: a pattern with / matches at any depth', ['foo/bar'], ['foo/bar/file', 'dir/foo/bar/file']],
  ['restic: * never crosses a /', ['*.go'], ['x.go', 'sub/y.go']],
  ['restic: a trailing / is ignored', ['bin/'], ['bin/bash', 'usr/bin/restic']],
  ['a class of characters', ['a/b[c]'], ['a/bc/f']],
  ['a negated class', ['Photos/*.[!j]*'], ['Photos/IMG.JPG', 'Photos/raw.cr2']],
  ['parentheses and | are plain characters', ['f(1)', 'a|b'], ['f(1)/in', 'a|b/in']],
  ['* matches dotfiles, as in restic', ['.*'], ['.hidden/h', 'marked/.nobackup']],
  ['spaces are part of a pattern', ['spaces in name'], ['spaces in name/s']],
  ['case matters for --exclude', ['*.jpg'], ['Photos/img.jpg']],
  ['! re-includes: the last matching pattern decides', ['home/user/*', '!home/user/work'], ['home/user/other/drop.txt', 'home/user/top.txt']],
  ['! re-includes a file inside an excluded directory', ['sub', '!sub/y.go'], ['sub/y.golang']],
  ['a ! before the exclude does nothing', ['!x.go', '*.go'], ['x.go', 'sub/y.go']],
];

describe('--exclude patterns (restic semantics)', () => {
  it.for(CASES)('%s: %j', async ([, patterns, out]) => {
    const got = await filesIn({ exclude: patterns });
    expect(got).toEqual(FILES.filter((f) => !out.includes(f)).sort());
  });

  it('my_node_modules/important.txt is never skipped by **/node_modules (the reported trap)', async () => {
    expect(await filesIn({ exclude: ['**/node_modules'] })).toContain('my_node_modules/important.txt');
  });

  it('a leading / anchors at the root of the file system', async () => {
    const got = await filesIn({}, (root) => ({ exclude: [`${root}/bin`, '/bin'] }));
    expect(got).not.toContain('bin/bash');
    expect(got).toContain('usr/bin/restic');
  });

  it('--iexclude ignores case', async () => {
    const got = await filesIn({ iexclude: ['*.jpg'] });
    expect(got.filter((f) => f.startsWith('Photos/'))).toEqual(['Photos/raw.cr2']);
  });

  it('--exclude-caches skips a directory with a real CACHEDIR.TAG, not one whose tag lacks the signature', async () => {
    const got = await filesIn({ excludeCaches: true });
    expect(got.filter((f) => f.startsWith('cache/'))).toEqual([]);
    expect(got).toContain('faketag/kept');
  });

  it('--exclude-if-present NAME and NAME:HEADER', async () => {
    expect(await filesIn({ excludeIfPresent: ['.nobackup'] })).not.toContain('marked/m');
    expect(await filesIn({ excludeIfPresent: ['.nobackup:marked'] })).not.toContain('marked/m');
    expect(await filesIn({ excludeIfPresent: ['.nobackup:other'] })).toContain('marked/m');
  });

  it('--exclude-file: comments, blank lines, trimmed lines and $VARS', async () => {
    const file = join(tempDir(), 'excludes');
    process.env.BKV_TEST_EXCLUDE_NAME = 'node_modules';
    writeFileSync(file, '# comment\n\n   **/${BKV_TEST_EXCLUDE_NAME}  \n*.go\n');
    try {
      const got = await filesIn({ excludeFiles: [file] });
      expect(got).toEqual(FILES.filter((f) => !['node_modules/x.js', 'src/node_modules/y.js', 'x.go', 'sub/y.go'].includes(f)).sort());
    } finally {
      delete process.env.BKV_TEST_EXCLUDE_NAME;
    }
  });

  it('an exclude file that cannot be read is a file-system error', () => {
    let error: unknown;
    try {
      Excluder.fromOptions({ excludeFiles: ['/nonexistent/excludes'] });
    } catch (e) {
      error = e;
    }
    expect(isClientError(error, 'file-system')).toBe(true);
  });

  it('a bad --exclude-if-present name is a usage error', () => {
    expect(() => Excluder.fromOptions({ excludeIfPresent: ['a/b'] })).toThrow(expect.objectContaining({ kind: 'usage' }));
  });
});

describe('top-level paths', () => {
  it.for([
    ['-', 'usage', /--stdin/],
    ['/nonexistent/path', 'file-system', /cannot back up \/nonexistent\/path/],
    ['/dev/null', 'usage', /not a file or directory.*--stdin/],
  ] as const)('%s is refused before anything is stored (%s)', async ([path, kind, message]) => {
    const { repo, store } = await freshRepo();
    const before = store.objects.size;
    const error = await backup(repo, { paths: [path] }).catch((e: unknown) => e);
    expect(isClientError(error, kind)).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect(store.objects.size).toBe(before);
    expect(await repo.snapshots()).toEqual([]);
  });

  it('a FIFO given as a path is refused and points at --stdin', async () => {
    const dir = tempDir();
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    expect(() => checkBackupPaths([join(dir, 'pipe')])).toThrow(/--stdin/);
  });
});
