// A tree whose metadata a backup must keep (test/client/repo/metadata.test.ts, test/tools/restorer-interop.test.ts):
// extended attributes on a file and a directory, a 50 MiB file that is almost all holes, a file that ends in a
// hole, a FIFO and, as root, a character device and POSIX ACLs (setfacl); and how to compare: getfattr's dump, du's allocated bytes.

import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const isRoot = process.getuid?.() === 0;

/** Every extended attribute of `path` (not following a symlink), as getfattr dumps them, sorted. */
export function xattrsOf(path: string): string {
  return execFileSync('getfattr', ['-h', '-d', '-m', '-', '-e', 'hex', '--absolute-names', path], { encoding: 'utf8' })
    .split('\n').filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('security.selinux')).sort().join('\n');
}

/** `getfacl`'s answer for `path`, without the header that names the path. */
export function aclOf(path: string): string {
  return execFileSync('getfacl', ['-p', '--omit-header', path], { encoding: 'utf8' });
}

/** Allocated bytes (du's answer: holes take none). */
export function allocated(path: string): number {
  return Number(execFileSync('du', ['--block-size=1', path], { encoding: 'utf8' }).split('\t')[0]);
}

/** Makes the tree as `<dir>/meta` and returns its path. */
export function makeMetadataTree(dir: string): string {
  const root = join(dir, 'meta');
  mkdirSync(join(root, 'dir'), { recursive: true });
  writeFileSync(join(root, 'colored'), 'content');
  execFileSync('setfattr', ['-n', 'user.color', '-v', 'blue', join(root, 'colored')]);
  execFileSync('setfattr', ['-n', 'user.bin', '-v', '0x00ff10', join(root, 'colored')]);
  execFileSync('setfattr', ['-n', 'user.tag', '-v', 'on a dir', join(root, 'dir')]);
  // 50 MiB with 4 KiB of data at the start, in the middle and at the end: the rest is holes
  const fd = openSync(join(root, 'sparse'), 'w');
  for (const at of [0, 25 * 1024 * 1024, 50 * 1024 * 1024 - 4096]) writeSync(fd, Buffer.alloc(4096, 7), 0, 4096, at);
  closeSync(fd);
  const tail = openSync(join(root, 'tail-hole'), 'w');
  writeSync(tail, Buffer.alloc(4096, 9), 0, 4096, 0);
  closeSync(tail);
  execFileSync('truncate', ['-s', String(20 * 1024 * 1024), join(root, 'tail-hole')]);
  execFileSync('mkfifo', ['-m', '640', join(root, 'fifo')]);
  if (isRoot) {
    execFileSync('mknod', ['-m', '620', join(root, 'null-device'), 'c', '1', '3']);
    // POSIX ACLs (system.posix_acl_* attributes, which only root may set on files it does not own): an access ACL
    // with a named user and group on a file, and a default ACL on a directory
    writeFileSync(join(root, 'shared'), 'for the team');
    execFileSync('setfacl', ['-m', 'u:nobody:rw,g:nogroup:r,m::rw', join(root, 'shared')]);
    execFileSync('setfacl', ['-d', '-m', 'u:nobody:rwx', join(root, 'dir')]);
  }
  return root;
}
