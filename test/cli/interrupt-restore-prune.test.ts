// SIGINT and SIGKILL at seeded random points of `bkv restore` and `bkv prune` (64 MiB, many files): an
// interrupted restore leaves no target and no staging directory with plaintext (SIGINT), or one the next restore
// removes (SIGKILL); an interrupted prune loses nothing (check clean, every kept snapshot restores).

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it, describe as suite } from 'vitest';
import { describe } from './snapshot-trees.js';
import * as ctx from './interrupt-helpers.js';
import { addBulk, allRestore, committed, fractions, interrupt, skipLockTtl, staging, timed, useInterruptSetup } from './interrupt-helpers.js';

useInterruptSetup();

beforeAll(async () => {
  addBulk(1);
  const b = await ctx.dev.run(['backup', ctx.src]);
  expect(b.code, b.stderr).toBe(0);
  committed.set(b.stdout.trim(), describe(ctx.src));
});

suite('interrupt-restore-prune', () => {
  it('restore: SIGINT leaves no target and no staging directory; after SIGKILL the next restore removes it', async () => {
    const [done, fullMs] = await timed(() => ctx.dev.run(['restore', 'latest', join(ctx.work, 'probe')]));
    expect(done.code, done.stderr).toBe(0);
    rmSync(join(ctx.work, 'probe'), { recursive: true });
    for (const [signal, seed] of [['SIGINT', 21], ['SIGKILL', 22]] as const) {
      for (const f of fractions(seed, 2)) {
        const target = join(ctx.work, 'target');
        const label = `${signal} at ${Math.round(f * 100)}%`;
        const r = await interrupt(['restore', 'latest', target], signal, Math.round(f * fullMs));
        if (r.code === 0) {
          rmSync(target, { recursive: true });
          continue;
        }
        expect(existsSync(target), label).toBe(false);
        if (signal === 'SIGINT') {
          expect(r.code, `${label}: ${r.stderr}`).toBe(2);
          expect(staging(), label).toEqual([]);
        } else {
          expect(r.signal, label).toBe('SIGKILL');
        }
        const again = await ctx.dev.run(['restore', 'latest', target]);
        expect(again.code, again.stderr).toBe(0);
        expect(staging(), `${label}: the next restore removes the stale staging directory`).toEqual([]);
        expect(describe(join(target, 'src'))).toEqual(committed.get([...committed.keys()].at(-1)!));
        rmSync(target, { recursive: true });
      }
    }
  });

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
      for (const fr of fractions(seed, 2)) {
        const r = await interrupt(['prune'], signal, Math.round(fr * dryMs * 2));
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
