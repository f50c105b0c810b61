// Snapshot round trips through the engine (docs/repository.md): every metadata kind comes back as it was —
// modes with setuid, setgid and sticky (minus the umask), sub-second mtimes, symlinks of every kind restored as
// symlinks, hard links as hard links, empty files and directories, big multi-chunk files.

import { randomBytes } from 'node:crypto';
import { chmodSync, linkSync, lstatSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup } from '../../../client/repo/commands/backup.js';
import { restore } from '../../../client/repo/commands/restore.js';
import { describeTree, freshRepo, tempDir } from './engine-helpers.js';

function sampleTree(): string {
  const src = tempDir('bkv-src-');
  const root = join(src, 'data');
  mkdirSync(root);
  writeFileSync(join(root, 'small.txt'), 'hello\n');
  writeFileSync(join(root, 'empty'), '');
  mkdirSync(join(root, 'emptydir'));
  mkdirSync(join(root, 'sub/deeper'), { recursive: true });
  writeFileSync(join(root, 'sub/deeper/text.txt'), 'a'.repeat(200_000));
  writeFileSync(join(root, 'big.bin'), randomBytes(20 * 1024 * 1024 + 12345));
  writeFileSync(join(root, 'setuid'), 'x');
  chmodSync(join(root, 'setuid'), 0o4755);
  writeFileSync(join(root, 'setgid'), 'y');
  chmodSync(join(root, 'setgid'), 0o2750);
  mkdirSync(join(root, 'sticky'));
  chmodSync(join(root, 'sticky'), 0o1777);
  writeFileSync(join(root, 'ro'), 'read only');
  chmodSync(join(root, 'ro'), 0o444);
  symlinkSync('/etc/passwd', join(root, 'abs-link'));
  symlinkSync('small.txt', join(root, 'rel-link'));
  symlinkSync('does/not/exist', join(root, 'dangling'));
  symlinkSync('../..', join(root, 'sub/up-link'));
  symlinkSync('sub/deeper', join(root, 'dir-link'));
  writeFileSync(join(root, 'hard-a'), 'linked content');
  linkSync(join(root, 'hard-a'), join(root, 'sub/hard-b'));
  utimesSync(join(root, 'small.txt'), 1_600_000_000.123456, 1_600_000_000.123456);
  return root;
}

describe('backup → restore', () => {
  it('restores every metadata kind exactly (umask applied to files and directories)', async () => {
    const { repo, home } = await freshRepo();
    const root = sampleTree();
    const { snapshot } = await backup(repo, { paths: [root] });
    expect(snapshot.incomplete).toBe(false);
    const out = join(tempDir('bkv-out-'), 'target');
    const result = await restore(repo, snapshot, out, { home });
    expect(result.hardlinks).toBe(1);
    const before = describeTree(join(root, '..'));
    const after = describeTree(out);
    const umask = process.umask();
    for (const [path, e] of Object.entries(before)) {
      const a = after[path];
      expect(a, path).toBeDefined();
      expect(a!.type, path).toBe(e.type);
      if (e.type !== 'symlink') expect(a!.mode, path).toBe(e.mode & ~umask);
      if (e.type === 'file') {
        expect(a!.sha, path).toBe(e.sha);
        expect(BigInt(a!.mtimeNs!) / 1000n, path).toBe(BigInt(e.mtimeNs!) / 1000n);
      }
      if (e.type === 'symlink') expect(a!.target, path).toBe(e.target);
    }
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(after['data/sticky']!.mode).toBe(0o1777 & ~umask);
    expect(lstatSync(join(out, 'data/hard-a')).ino).toBe(lstatSync(join(out, 'data/sub/hard-b')).ino);
    expect(lstatSync(join(out, 'data/dir-link')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(out, 'data/big.bin')).equals(readFileSync(join(root, 'big.bin')))).toBe(true);
  });
});
