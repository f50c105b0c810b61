// Where a restore may write: the target's parent directory, resolved one component at a time so that no other
// user can point it elsewhere, before or during the restore (README "Restoring", docs/threat-model.md "Who else
// we defend against"). Each component is looked at with lstat: a symlink is followed only when it belongs to the
// user running bkv or to root (one owned by anybody else, like `/tmp/vpar → /tmp/mallory-drop` planted in a sticky
// directory, is refused, also behind a link of root's); a directory is entered only when it belongs to the user
// or to root and is not world-writable without the sticky bit (its owner, or anyone, could rename what is in it:
// swap a link in for the staging directory while the restore writes by path); a missing one is made (as
// `mkdir -p` would, with the umask's mode: then it is the user's). The answer is the parent's real path, free of symlinks: the staging directory and the final
// rename never go through a link.
//
// Why this rule: refusing every symlink would refuse the system's own (`/var/run`, a home on another disk), which
// only root or the user can change; the kernel's `fs.protected_symlinks` is a sysctl that is off in many
// containers; and Node has no openat/O_PATH walk, so the restore writes by path and the path must be one that
// only the user and root can change. Not refused: a group-writable directory (its group is people the
// administrator chose); and root restoring into a user's directory must restore elsewhere and move it.

import { lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { ClientError, fileSystemError } from '../../errors.js';

/** Symlinks followed in one path at most (the kernel's own limit, ELOOP). */
const MAX_LINKS = 40;

/**
 * The real path of `dir` (absolute), reached without following a symlink owned by anyone but `uid` or root; with
 * `create`, made as `mkdir -p` would where missing (else the missing rest is appended as it is: it holds no
 * link). `shown` names the target in errors.
 */
export function safeParent(dir: string, uid: number | undefined, shown: string, create: boolean): string {
  const pending = dir.split('/').filter((c) => c !== '').reverse();
  let real = '/';
  let links = 0;
  while (pending.length > 0) {
    const part = pending.pop()!;
    if (part === '.') continue;
    if (part === '..') {
      real = posix.dirname(real);
      continue;
    }
    const path = posix.join(real, part);
    let st = lstatOrUndefined(path);
    if (st === undefined && !create) return posix.join(path, ...pending.reverse());
    const made = st === undefined;
    if (st === undefined) {
      try {
        mkdirSync(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fileSystemError(e, 'create a directory in', real);
      }
      st = lstatOrUndefined(path);
    }
    if (st === undefined) throw new ClientError('file-system', `cannot restore into ${shown}: ${path} vanished`, { path, errno: 'ENOENT' });
    if (st.isSymbolicLink()) {
      if (uid !== undefined && st.uid !== uid && st.uid !== 0) {
        throw new ClientError('usage', `cannot restore into ${shown}: ${path} is a symlink owned by another user (uid ${st.uid}); name the real directory`, { path });
      }
      if (++links > MAX_LINKS) throw new ClientError('file-system', `cannot restore into ${shown}: too many symlinks`, { path, errno: 'ELOOP' });
      const to = readlinkSync(path);
      if (to.startsWith('/')) real = '/';
      pending.push(...to.split('/').filter((c) => c !== '').reverse());
      continue;
    }
    if (!st.isDirectory()) throw new ClientError('file-system', `cannot restore into ${shown}: a parent is not a directory`, { path: shown, errno: 'ENOTDIR' });
    if (uid !== undefined && !made) {
      // whoever owns a directory on the way can rename what is in it (and, in a sticky directory, it), so could
      // swap a link in for the staging directory or its parent while the restore writes by path
      if (st.uid !== uid && st.uid !== 0) {
        throw new ClientError('usage', `cannot restore into ${shown}: ${path} belongs to another user (uid ${st.uid}), who could redirect the restore; restore into a directory of yours`, { path });
      }
      if ((st.mode & 0o002) !== 0 && (st.mode & 0o1000) === 0) {
        throw new ClientError('usage', `cannot restore into ${shown}: anyone can rename what is in ${path} (world-writable, not sticky)`, { path });
      }
    }
    real = path;
  }
  return real;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch (e) {
    // a component that is a file: ENOTDIR below it
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw fileSystemError(e, 'look at', path);
  }
}
