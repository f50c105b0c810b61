// Commands at once: a prune racing a backup (the backup's shared lock makes the prune refuse) loses nothing;
// two devices (two $BKV_HOMEs, one account and key) backing up at once both commit and both restore.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, describe as suite } from 'vitest';
import { newDevice } from '../helpers/cli.js';
import { describe, device, makeTree, noise } from './snapshot-trees.js';
import * as ctx from './interrupt-helpers.js';
import { ACCOUNT, addBulk, allRestore, committed, interrupt, snapshotIds, useInterruptSetup } from './interrupt-helpers.js';

useInterruptSetup();

suite('concurrency', () => {
  it('a prune racing a backup refuses or waits, and loses nothing', async () => {
    addBulk(2);
    const backup = interrupt(['backup', ctx.src], 'SIGCONT', 1);
    await new Promise((r) => setTimeout(r, 700));
    const prune = await ctx.dev.run(['prune']);
    const b = await backup;
    expect(b.code, b.stderr).toBe(0);
    committed.set(b.stdout.trim(), describe(ctx.src));
    if (prune.code !== 0) {
      expect(prune.code, prune.stderr).toBe(1);
      expect(prune.stderr).toMatch(/the repository is in use|lock/);
    }
    await allRestore('after the race', true);
  });

  it('two devices with the same account and key back up at once: both commit, both restore', async () => {
    const home2 = await newDevice();
    const dev2 = device(ctx.rt, ACCOUNT, home2);
    const other = join(ctx.work, 'other');
    mkdirSync(join(other, 'src'), { recursive: true });
    makeTree(join(other, 'src'));
    writeFileSync(join(other, 'src', 'only-here'), noise(3 * 1024 * 1024, 5));
    const [a, b] = await Promise.all([ctx.dev.run(['backup', ctx.src]), dev2.run(['backup', '--key-file', join(ctx.work, 'key.txt'), join(other, 'src')])]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    committed.set(a.stdout.trim(), describe(ctx.src));
    committed.set(b.stdout.trim(), describe(join(other, 'src')));
    expect(await snapshotIds()).toEqual(expect.arrayContaining([a.stdout.trim(), b.stdout.trim()]));
    await allRestore('after two devices');
  });
});
