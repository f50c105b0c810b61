// Where a restore may write: the target's parent directory, resolved one component at a time without trusting a
// symlink that another user could have planted or could point elsewhere (README "Restoring", docs/threat-model.md
// "Who else we defend against"). Each component is looked at with lstat: a directory is entered, a missing
// one is made (as `mkdir -p` would), and a symlink is followed only when it belongs to the user running bkv or to
// root; one owned by anybody else (`/tmp/vpar → /tmp/mallory-drop`, planted in a sticky directory) is refused, and
// so is one that resolves through such a link. The answer is the parent's real path, free of symlinks, so the
// staging directory and the final rename never go through a link again.
//
// Why this rule and not another: refusing every symlink would refuse the system's own (`/var/run`, a home on
// another disk), which only root or the user can change; following only the kernel's `fs.protected_symlinks`
// rule would depend on a sysctl that is off in many containers. Node has no openat/O_PATH walk, so the check is
// by path: what stays open is a directory of the real path that another user can write to without the sticky
// bit (they could swap what lies beneath it); that directory is one the user named, and is not refused.

import { lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { ClientError, fileSystemError } from '../errors.js';

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
