// `bkv undelete --as-of` end to end, as a user would run it after a device with the key deleted everything:
// `bkv forget` keeping nothing that exists plus `--prune`, then `bkv undelete --as-of <before>` on another device
// of the account: every snapshot is listed again and restores byte-identical; the prune's index is deleted (named).

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe as suite, expect, it } from 'vitest';
import { removeDevices, newDevice } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { describe, device, makeTree, parseSnapshots, scratch, type Device } from './snapshot-trees.js';

let rt: TestRuntime;
let dev: Device;
let src: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  src = join(scratch(), 'src');
  mkdirSync(src);
  makeTree(src);
  dev = device(rt, 'una', await newDevice());
});
afterAll(async () => {
  await removeDevices();
  await rt.stop();
});

const ok = (r: { code: number | null; stderr: string }) => expect(r.code, r.stderr).toBe(0);

suite('bkv undelete', () => {
  it('forget everything + prune, then undelete --as-of before: snapshots back, restore byte-identical', async () => {
    ok(await dev.run(['init', '--key']));
    ok(await dev.run(['backup', '--tag', 'keep', src]));
    const before = parseSnapshots(await dev.run(['snapshots', '--json']));
    expect(before).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20));
    const asOf = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    ok(await dev.run(['forget', '--keep-tag', 'no-such-tag', '--prune']));
    expect(parseSnapshots(await dev.run(['snapshots', '--json']))).toEqual([]);

    const u = await dev.run(['undelete', '--as-of', asOf, '--json']);
    ok(u);
    const out = JSON.parse(u.stdout) as { restored: { type: string }[]; revived: string[] };
    expect(out.restored.some((n) => n.type === 'snapshots')).toBe(true);
    expect(out.revived).toHaveLength(1);
    expect(u.stderr).toMatch(/superseded restored indexes/);

    const after = parseSnapshots(await dev.run(['snapshots', '--json']));
    expect(after.map((s) => s.id)).toEqual(before.map((s) => s.id));
    const target = join(scratch(), 'out');
    ok(await dev.run(['restore', 'latest', target]));
    expect(describe(join(target, 'src'))).toEqual(describe(src));
    ok(await dev.run(['check']));
  });

  it('delete --backups (signed with the device\'s key), then undelete --as-of before: the repository is back', async () => {
    const before = parseSnapshots(await dev.run(['snapshots', '--json']));
    expect(before).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 20));
    const asOf = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    ok(await dev.run(['delete', '--backups', '--yes']));
    expect((await dev.run(['snapshots', '--json'])).code).not.toBe(0); // no repository any more
    // a device without the key cannot undelete (it is a change, signed with K's key) and changes nothing
    const stranger = device(rt, 'una', await newDevice());
    const refused = await stranger.run(['undelete', '--as-of', asOf]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no backup key/);
    ok(await dev.run(['undelete', '--as-of', asOf]));
    const after = parseSnapshots(await dev.run(['snapshots', '--json']));
    expect(after.map((s) => s.id)).toEqual(before.map((s) => s.id));
    const target = join(scratch(), 'out-2');
    ok(await dev.run(['restore', 'latest', target]));
    expect(describe(join(target, 'src'))).toEqual(describe(src));
  });

  it('undelete --snapshot ID after forget everything + prune: that snapshot only, restores byte-identical', async () => {
    const [first] = parseSnapshots(await dev.run(['snapshots', '--json']));
    const other = join(scratch(), 'other');
    mkdirSync(other);
    makeTree(other);
    ok(await dev.run(['backup', '--tag', 'other', other]));
    expect(parseSnapshots(await dev.run(['snapshots', '--json']))).toHaveLength(2);
    ok(await dev.run(['forget', '--keep-tag', 'no-such-tag', '--prune']));
    expect(parseSnapshots(await dev.run(['snapshots', '--json']))).toEqual([]);
    const u = await dev.run(['undelete', '--snapshot', first!.id, '--json']);
    ok(u);
    const out = JSON.parse(u.stdout) as { restored: { type: string; id: string }[] };
    expect(out.restored).toContainEqual({ type: 'snapshots', id: first!.id });
    expect(parseSnapshots(await dev.run(['snapshots', '--json'])).map((x) => x.id)).toEqual([first!.id]);
    const target = join(scratch(), 'out-3');
    ok(await dev.run(['restore', 'latest', target]));
    expect(describe(join(target, 'src'))).toEqual(describe(src));
    ok(await dev.run(['check']));
    expect((await dev.run(['undelete', '--snapshot', 'nope'])).code).toBe(2);
  });

  it('a bad --as-of is exit 2 and changes nothing', async () => {
    const r = await dev.run(['undelete', '--as-of', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--as-of/);
  });
});
