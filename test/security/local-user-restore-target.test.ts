// Attacker: another user of the same machine (docs/threat-model.md "Another user of the same machine"), who
// plants a symlink in a sticky world-writable directory (`/tmp/vpar → /tmp/mallory-drop`, 0777) where the victim
// will restore (`bkv restore latest /tmp/vpar/out`). The restore must not build the tree inside her directory:
// a symlink on the way to the target is followed only when it belongs to the user or to root; hers is refused
// (exit 2, naming it), nothing is created in her directory or anywhere else, and the real path works. A symlink
// of the user's own (or root's) is still followed. README "Restoring", client/repo/target-path.ts.
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
