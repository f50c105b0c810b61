// SIGINT and SIGKILL at seeded points of `bkv prune` (once after it wrote its new index, while it deletes):
// afterwards `bkv check` is clean and the kept snapshot restores byte-identical; a complete prune after them
// too. docs/threat-model.md invariant 9.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, describe as suite } from 'vitest';
import { describe, objects } from './snapshot-trees.js';
import * as ctx from './interrupt-helpers.js';
import { ACCOUNT, allRestore, committed, fractions, interrupt, skipLockTtl, timed, useBulkSnapshot, useInterruptSetup } from './interrupt-helpers.js';

useInterruptSetup();
useBulkSnapshot();

suite('interrupted prune', () => {
  it('prune: SIGINT and SIGKILL mid-way lose nothing', async () => {
    rmSync(join(ctx.src, 'bulk-1', 'large'));
    for (let i = 0; i < 6; i++) rmSync(join(ctx.src, 'bulk-1', `mid-${i}`));
    const b = await ctx.dev.run(['backup', ctx.src]);
    expect(b.code, b.stderr).toBe(0);
    committed.set(b.stdout.trim(), describe(ctx.src));
    const keep = [...committed.keys()].at(-1)!;
    const f = await ctx.dev.run(['forget', '--keep-last', '1']);
    expect(f.code, f.stderr).toBe(0);
    for (const id of [...committed.keys()]) if (id !== keep) committed.delete(id);
    const [dry, dryMs] = await timed(() => ctx.dev.run(['prune', '--dry-run']));
    expect(dry.code, dry.stderr).toBe(0);
    for (const [signal, seed] of [['SIGINT', 31], ['SIGKILL', 32]] as const) {
      for (const [i, fr] of fractions(seed, 2).entries()) {
        // the first run at a seeded point; the second once prune has written its new index (it deletes after)
        const index0 = (await objects(ctx.rt, ACCOUNT, 'index')).join();
        const newIndex = i === 1 ? async () => (await objects(ctx.rt, ACCOUNT, 'index')).join() !== index0 : undefined;
        const r = await interrupt(['prune'], signal, Math.round(i === 0 ? fr * dryMs * 2 : fr * 100), ctx.dev.home, newIndex);
        if (r.signal === 'SIGKILL') skipLockTtl();
        // SIGINT exits 2 (cancelled), or kills a process that has not yet set up its handler (nothing done yet)
        if (signal === 'SIGINT' && r.code !== 0) expect(r.code === 2 || r.signal === 'SIGINT', `${r.code} ${r.signal} ${r.stderr}`).toBe(true);
        await allRestore(`prune ${signal} at ${Math.round(fr * 100)}% (exit ${r.code})`);
      }
    }
    const p = await ctx.dev.run(['prune']);
    expect(p.code, p.stderr).toBe(0);
    await allRestore('after a complete prune', true);
  });
});
