// Crafted trees cannot make restore write outside the target (docs/threat-model.md invariant 9): names with `..`, `/`,
// absolute or empty names, `.`, NUL, duplicates (a symlink named like a later directory), unsorted names, a
// file whose blobs do not add up, and a "hard link" by shared inode can only link inside the target. Each
// fails with a clear ClientError (kind unsafe-archive) before anything lands in the target, and the staging directory is gone.

import { existsSync, readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isClientError } from '../../../client/errors.js';
import { restore } from '../../../client/repo/commands/restore.js';
import { Crafter, dirMeta, meta } from './craft.js';
import { freshRepo, tempDir } from './engine-helpers.js';

const file = (name: string, content: string[] = [], size = 0) => ({ ...meta, name, type: 'file', size, content });

describe('restore of crafted trees', () => {
  it.for([
    ['..', [file('..')]],
    ['a/b', [file('a/b')]],
    ['/etc/passwd', [file('/etc/passwd')]],
    ['empty', [file('')]],
    ['dot', [file('.')]],
    ['nul', [file('a\0b')]],
    ['duplicate', [file('a'), file('a')]],
    ['unsorted', [file('b'), file('a')]],
  ] as const)('refuses a name: %s', async ([, nodes]) => {
    const { repo, home } = await freshRepo();
    const c = new Crafter(repo);
    const s = await c.snapshot(c.tree([...nodes]));
    const parent = tempDir();
    const target = join(parent, 'out');
    const err = await restore(repo, s, target, { home }).catch((e: unknown) => e);
    expect(isClientError(err, 'unsafe-archive')).toBe(true);
    expect((err as Error).message).toMatch(/unsafe snapshot/);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('refuses a symlink named like a later directory (a duplicate name) and writes nothing through it', async () => {
    const { repo, home } = await freshRepo();
    const c = new Crafter(repo);
    const outside = tempDir();
    const sub = c.tree([file('pwned')]);
    const s = await c.snapshot(c.tree([{ ...meta, name: 'a', type: 'symlink', target: outside }, { ...dirMeta, name: 'a', type: 'dir', subtree: sub }]));
    const parent = tempDir();
    await expect(restore(repo, s, join(parent, 'out'), { home })).rejects.toThrow(/unsafe snapshot: duplicate name/);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a file whose blobs do not add up to its size is refused as damaged', async () => {
    const { repo, home } = await freshRepo();
    const c = new Crafter(repo);
    const b = c.blob(Buffer.from('12345'));
    const s = await c.snapshot(c.tree([file('f', [b], 99)]));
    const parent = tempDir();
    await expect(restore(repo, s, join(parent, 'out'), { home })).rejects.toThrow(/damaged/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('hard links by shared inode link only files inside the target; symlinks pointing out stay symlinks', async () => {
    const { repo, home } = await freshRepo();
    const c = new Crafter(repo);
    const b = c.blob(Buffer.from('data'));
    const outside = tempDir();
    const s = await c.snapshot(c.tree([
      { ...file('a', [b], 4), inode: '7', links: 2 },
      { ...meta, name: 'escape', type: 'symlink', target: `${outside}/x` },
      { ...dirMeta, name: 'z', type: 'dir', subtree: c.tree([{ ...file('b', [b], 4), inode: '7', links: 2 }]) },
    ]));
    const target = join(tempDir(), 'out');
    await restore(repo, s, target, { home });
    expect(lstatSync(join(target, 'a')).ino).toBe(lstatSync(join(target, 'z/b')).ino);
    expect(lstatSync(join(target, 'a')).nlink).toBe(2);
    expect(lstatSync(join(target, 'escape')).isSymbolicLink()).toBe(true);
    expect(readdirSync(outside)).toEqual([]);
  });
});
