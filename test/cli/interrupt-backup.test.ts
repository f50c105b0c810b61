// SIGINT and SIGKILL at seeded random points of `bkv backup` of a 64 MiB tree of many files: nothing is
// committed, `bkv check` stays clean, committed snapshots restore byte-identical, and the next backup completes
// (and does not upload again what an interrupted one indexed). docs/threat-model.md invariant 9.

import { expect, it, describe as suite } from 'vitest';
import { newDevice } from '../helpers/cli.js';
import { describe, device, objects } from './snapshot-trees.js';
import * as ctx from './interrupt-helpers.js';
import { ACCOUNT, addBulk, allRestore, committed, fractions, interrupt, skipLockTtl, snapshotIds, timed, useInterruptSetup } from './interrupt-helpers.js';

useInterruptSetup();

suite('interrupt-backup', () => {
  it('backup: SIGINT and SIGKILL mid-way commit nothing and break nothing; the next backup reuses what was uploaded', async () => {
    addBulk(1);
    const before = await snapshotIds();
    // how long a full backup of the tree takes: measured on another account's repository
    const probe = device(ctx.rt, 'probe', await newDevice());
    expect((await probe.run(['init', '--key'])).code).toBe(0);
    const [full, fullMs] = await timed(() => probe.run(['backup', '--json', ctx.src]));
    expect(full.code, full.stderr).toBe(0);
    const fullJ = JSON.parse(full.stdout) as { snapshot: string; summary: { uploadedBytes: number } };
    expect(fullJ.summary.uploadedBytes).toBeGreaterThan(60 * 1024 * 1024);
    expect(await snapshotIds()).toEqual(before);
    const indexesBefore = await objects(ctx.rt, ACCOUNT, 'index');
    for (const [signal, seed] of [['SIGINT', 11], ['SIGKILL', 12]] as const) {
      for (const [i, f] of fractions(seed, 2).entries()) {
        const [data0, index0] = [await objects(ctx.rt, ACCOUNT, 'data'), await objects(ctx.rt, ACCOUNT, 'index')];
        // the first run of each signal at a seeded point of the whole run; the second once 1 or 2 packs are
        // stored, plus a seeded delay (a 64 MiB backup takes ~3 s here, most of it before the first pack lands)
        const packs = 1 + Math.floor(f * 2);
        const afterPacks = i === 0 ? undefined : async () => (await objects(ctx.rt, ACCOUNT, 'data')).length >= data0.length + packs;
        const ms = Math.round(i === 0 ? f * fullMs : f * 200);
        const r = await interrupt(['backup', ctx.src], signal, ms, ctx.dev.home, afterPacks);
        const label = `${signal} at ${i === 0 ? `${Math.round(f * 100)}%` : `${packs} pack(s) + ${ms} ms`}`;
        if (r.code === 0) committed.set(r.stdout.trim(), describe(ctx.src)); // it finished first
        else {
          if (signal === 'SIGINT') {
            expect(r.code, `${label}: ${r.stderr}`).toBe(2);
            // the packs it knows are stored are indexed before it exits (one whose upload was cut may not be)
            if ((await objects(ctx.rt, ACCOUNT, 'data')).length > data0.length + 1) expect((await objects(ctx.rt, ACCOUNT, 'index')).length, label).toBeGreaterThan(index0.length);
          } else {
            expect(r.signal, label).toBe('SIGKILL');
            skipLockTtl();
            // killed after its snapshot reached the server (it was only exiting): that snapshot is whole, and
            // allRestore below restores it byte-identical to the source
            const late = (await snapshotIds()).filter((id) => !committed.has(id));
            expect(late.length, label).toBeLessThanOrEqual(1);
            for (const id of late) committed.set(id, describe(ctx.src));
          }
          expect(await snapshotIds(), label).toEqual([...committed.keys()].sort());
        }
        await allRestore(label);
      }
    }
    const indexes = await objects(ctx.rt, ACCOUNT, 'index');
    const [next] = await timed(() => ctx.dev.run(['backup', '--json', ctx.src]));
    expect(next.code, next.stderr).toBe(0);
    const j = JSON.parse(next.stdout) as { snapshot: string; summary: { uploadedBytes: number } };
    committed.set(j.snapshot, describe(ctx.src));
    expect(j.summary.uploadedBytes).toBeLessThan(fullJ.summary.uploadedBytes * 1.05);
    // packs an interrupted backup indexed (on Ctrl-C, and every 16 packs or 30 s) are not uploaded again
    expect(indexes.length, 'the SIGINT runs were late enough to upload packs').toBeGreaterThan(indexesBefore.length);
    if (indexes.length > indexesBefore.length) expect(j.summary.uploadedBytes, 'reuses what the interrupted backups indexed').toBeLessThan(fullJ.summary.uploadedBytes * 0.9);
    await allRestore('after the completed backup', true);
  });
});
