// Metadata round-trips, or the snapshot says it did not (docs/repository.md "Trees"): extended attributes
// (compared with getfattr), sparse files (compared with du: the holes come back), FIFOs and, as root, device
// nodes and POSIX ACLs (compared with stat and getfacl), mtimes to the microsecond (node:fs sets times as a double); a socket cannot be
// stored, so it is a warning and the snapshot is incomplete. Before, xattrs were dropped silently, a sparse file
// came back fully allocated and a FIFO was skipped with the snapshot called complete.

import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { lstatSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backup, type BackupWarning } from '../../../client/repo/commands/backup.js';
import { restore } from '../../../client/repo/commands/restore.js';
import { decodeTree, encodeTree } from '../../../client/repo/tree.js';
import { isClientError } from '../../../client/errors.js';
import { freshRepo, tempDir } from './engine-helpers.js';
import { aclOf, allocated, makeMetadataTree, xattrsOf } from '../../helpers/metadata-tree.js';

const isRoot = process.getuid?.() === 0;

describe('metadata round-trip', () => {
  it('xattrs, holes, FIFOs and device nodes come back as they were', async () => {
    const { repo, home } = await freshRepo();
    const root = makeMetadataTree(tempDir());
    expect(allocated(join(root, 'sparse'))).toBeLessThan(1024 * 1024);
    const warnings: BackupWarning[] = [];
    const { snapshot } = await backup(repo, { paths: [root], onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([]);
    expect(snapshot.incomplete).toBe(false);
    const out = join(tempDir(), 'out');
    const r = await restore(repo, snapshot, out, { home });
    expect(r.warnings).toEqual([]);
    const back = join(out, 'meta');
    for (const p of ['colored', 'dir']) expect(xattrsOf(join(back, p))).toBe(xattrsOf(join(root, p)));
    expect(xattrsOf(join(back, 'colored'))).toContain('user.color=0x626c7565');
    for (const p of ['sparse', 'tail-hole']) {
      expect(lstatSync(join(back, p)).size).toBe(lstatSync(join(root, p)).size);
      expect(allocated(join(back, p))).toBeLessThan(1024 * 1024);
      expect(execFileSync('cmp', [join(root, p), join(back, p)]).length).toBe(0);
    }
    const fifo = lstatSync(join(back, 'fifo'));
    expect(fifo.isFIFO()).toBe(true);
    expect(fifo.mode & 0o777).toBe(0o640 & ~process.umask());
    if (isRoot) {
      const dev = lstatSync(join(back, 'null-device'));
      expect(dev.isCharacterDevice()).toBe(true);
      expect(dev.rdev).toBe(lstatSync(join(root, 'null-device')).rdev);
      expect(r.specials).toBe(2);
      for (const p of ['shared', 'dir']) expect(aclOf(join(back, p))).toBe(aclOf(join(root, p)));
      expect(aclOf(join(back, 'shared'))).toContain('user:nobody:rw-');
      expect(aclOf(join(back, 'dir'))).toContain('default:user:nobody:rwx');
    }
    // mtimes to the microsecond (the snapshot holds nanoseconds; tools/bkv-restore.py sets those)
    for (const p of ['colored', 'sparse', 'fifo', 'dir']) {
      const us = (path: string) => lstatSync(path, { bigint: true }).mtimeNs / 1000n;
      expect(us(join(back, p))).toBe(us(join(root, p)));
    }
  });

  it('a socket is not stored: a warning, and the snapshot is incomplete', async () => {
    const { repo } = await freshRepo();
    const root = join(tempDir(), 'sock');
    mkdirSync(root);
    writeFileSync(join(root, 'file'), 'x');
    const server = createServer();
    await new Promise<void>((ok) => server.listen(join(root, 'socket'), ok));
    try {
      const warnings: BackupWarning[] = [];
      const { snapshot } = await backup(repo, { paths: [root], onWarning: (w) => warnings.push(w) });
      expect(warnings).toEqual([{ path: join(root, 'socket'), message: 'a socket is not backed up (the program that listens makes it)', kind: 'unsupported' }]);
      expect(snapshot.incomplete).toBe(true);
      expect(snapshot.skipped.map((s) => s.path)).toEqual([join(root, 'socket')]);
    } finally {
      server.close();
    }
  });

  it('a device node made by another machine\'s root round-trips through the tree format', async () => {
    const { repo, home } = await freshRepo();
    const root = join(tempDir(), 'dev');
    mkdirSync(root);
    writeFileSync(join(root, 'file'), 'x');
    const { snapshot } = await backup(repo, { paths: [root] });
    // a snapshot of a device node, as another machine's root would have made it
    const tree = await repo.tree(snapshot.tree);
    expect(tree.nodes.map((n) => n.type)).toEqual(['dir']);
    const crafted = decodeTree(encodeTree({ nodes: [{ name: 'tty', mode: 0o620, mtime: '1', uid: 0, gid: 5, type: 'chardev', rdev: '1280' }] }));
    expect(crafted.nodes[0]).toMatchObject({ type: 'chardev', rdev: '1280' });
    expect(decodeTree(encodeTree(crafted))).toEqual(crafted);
    expect(home).toBeTruthy();
  });

  it.for([
    [{ xattrs: [] }, 'bad xattrs'],
    [{ xattrs: { '': 'AA==' } }, 'bad xattrs'],
    [{ xattrs: { 'user.a': 'not base64!' } }, 'bad xattrs'],
    [{ xattrs: { 'user.b': 'AA==', 'user.a': 'AA==' } }, 'bad xattrs'],
    [{ xattrs: { 'user.a': 'A'.repeat(90_000) } }, 'too large'],
    [{ type: 'chardev' }, 'bad rdev'],
    [{ type: 'socket' }, 'bad type'],
  ] as const)('a tree node with bad members is refused (%s)', ([extra, message]) => {
    const node = { name: 'n', mode: 0o644, mtime: '1', uid: 0, gid: 0, type: 'fifo', ...extra };
    let error: unknown;
    try {
      decodeTree(Buffer.from(JSON.stringify({ nodes: [node] })));
    } catch (e) {
      error = e;
    }
    expect(isClientError(error, 'unsafe-archive')).toBe(true);
    expect((error as Error).message).toContain(message);
  });
});
