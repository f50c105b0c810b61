// Attacker: another user of the same machine (docs/threat-model.md "Another user of the same machine"), who
// plants a symlink in a sticky world-writable directory (`/tmp/vpar → /tmp/mallory-drop`, 0777) where the victim
// will restore (`bkv restore latest /tmp/vpar/out`). The restore must not build the tree inside her directory:
// a symlink on the way to the target is followed only when it belongs to the user or to root, and a directory on
// the way must belong to the user or root and not be world-writable without the sticky bit (else its owner could
// swap a link in while the restore writes); hers are refused (exit 2, naming them) and nothing is created in her
// directory. A symlink of the user's own (or root's), and root's sticky /tmp, still work. README "Restoring", client/repo/fs/target-path.ts.
// Runs as root (as CI does): "another user" is `nobody`; the kernel's fs.protected_symlinks is not relied on.

import { chmodSync, chownSync, lchownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { describe as describeTree, device, scratch, type Device } from '../cli/snapshot-trees.js';

const NOBODY = 65534;
let rt: TestRuntime;
let work: string;
let sticky: string;
let dev: Device;
let src: string;
beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test plays another local user (nobody) and needs root (CI runs as root)');
  rt = await startTestRuntime();
  work = scratch('bkv-local-user-');
  src = join(work, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  writeFileSync(join(src, 'a.txt'), 'alpha\n');
  writeFileSync(join(src, 'sub', 'b.txt'), 'beta\n');
  dev = device(rt, 'victim', await newDevice());
  for (const args of [['init', '--key'], ['backup', '--quiet', src]]) {
    const r = await dev.run(args);
    expect(r.code, r.stderr).toBe(0);
  }
  // a sticky world-writable directory like /tmp, with mallory's drop directory and her symlink to it
  sticky = mkdtempSync('/tmp/bkv-sticky-');
  chmodSync(sticky, 0o1777);
});
afterAll(async () => {
  await removeDevices();
  rmSync(work, { recursive: true, force: true });
  if (sticky) rmSync(sticky, { recursive: true, force: true });
  await rt?.stop();
});

/** Mallory's world-writable directory and her symlink `name` → it, both owned by nobody. */
function plant(name: string): { drop: string; link: string } {
  const drop = join(sticky, `${name}-drop`);
  mkdirSync(drop);
  chmodSync(drop, 0o777);
  chownSync(drop, NOBODY, NOBODY);
  const link = join(sticky, name);
  symlinkSync(drop, link);
  lchownSync(link, NOBODY, NOBODY);
  return { drop, link };
}

describe('another local user\'s symlink on the way to a restore target', () => {
  it('a parent that is her symlink: exit 2 naming it, nothing created in her directory', async () => {
    const { drop, link } = plant('vpar');
    const r = await dev.run(['restore', 'latest', join(link, 'out')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${link} is a symlink owned by another user`);
    expect(readdirSync(drop)).toEqual([]);
  });

  it('her symlink deeper in the path, and missing parents below it: refused before anything is made', async () => {
    const { drop, link } = plant('deep');
    const r = await dev.run(['restore', 'latest', join(link, 'a', 'b', 'out')]);
    expect(r.code, r.stderr).toBe(2);
    expect(readdirSync(drop)).toEqual([]);
  });

  it('a root-owned symlink that leads through hers: refused too', async () => {
    const { drop, link } = plant('inner');
    const outer = join(sticky, 'outer');
    symlinkSync(link, outer);
    const r = await dev.run(['restore', 'latest', join(outer, 'out')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${link} is a symlink owned by another user`);
    expect(readdirSync(drop)).toEqual([]);
  });

  it('a directory of hers on the way (she could rename the staging directory away and put a link there): refused', async () => {
    const { drop } = plant('hers');
    const r = await dev.run(['restore', 'latest', join(drop, 'out')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${drop} belongs to another user`);
    expect(readdirSync(drop)).toEqual([]);
  });

  it('a world-writable directory without the sticky bit on the way: refused, even root\'s', async () => {
    const open = join(work, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const r = await dev.run(['restore', 'latest', join(open, 'out')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`anyone can rename what is in ${open}`);
    expect(readdirSync(open)).toEqual([]);
  });

  it('straight into the sticky directory (root\'s, 1777, like /tmp): restored', async () => {
    const r = await dev.run(['restore', 'latest', join(sticky, 'plain-out')]);
    expect(r.code, r.stderr).toBe(0);
    expect(describeTree(join(sticky, 'plain-out', 'src'))).toEqual(describeTree(src));
  });

  it('the user\'s own symlink is followed, and the tree lands in its real directory', async () => {
    const mine = join(work, 'mine');
    mkdirSync(mine);
    const link = join(sticky, 'mine');
    symlinkSync(mine, link);
    const r = await dev.run(['restore', 'latest', join(link, 'out')]);
    expect(r.code, r.stderr).toBe(0);
    expect(describeTree(join(mine, 'out', 'src'))).toEqual(describeTree(src));
    expect(readdirSync(mine)).toEqual(['out']);
  });
});
