// SIGINT and SIGKILL at seeded points of `bkv restore` of a 64 MiB snapshot of many files (once mid-way while
// the staging directory is being filled): SIGINT leaves no target and no staging directory (no plaintext
// behind); after SIGKILL the stale staging directory is removed by the next `bkv restore`, which restores
// byte-identical. docs/threat-model.md invariant 9.

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, describe as suite } from 'vitest';
import { describe } from './snapshot-trees.js';
import * as ctx from './interrupt-helpers.js';
import { committed, fractions, interrupt, staging, timed, useBulkSnapshot, useInterruptSetup } from './interrupt-helpers.js';

useInterruptSetup();
useBulkSnapshot();

suite('interrupted restore', () => {
  it('restore: SIGINT leaves no target and no staging directory; after SIGKILL the next restore removes it', async () => {
    const [done, fullMs] = await timed(() => ctx.dev.run(['restore', 'latest', join(ctx.work, 'probe')]));
    expect(done.code, done.stderr).toBe(0);
    rmSync(join(ctx.work, 'probe'), { recursive: true });
    for (const [signal, seed] of [['SIGINT', 21], ['SIGKILL', 22]] as const) {
      for (const [i, f] of fractions(seed, 2).entries()) {
        const target = join(ctx.work, 'target');
        // the first run at a seeded point of a whole restore; the second once the staging directory (with
        // plaintext being written into it) exists, plus a seeded delay
        const whileStaging = i === 1 ? () => Promise.resolve(staging().length > 0) : undefined;
        const ms = Math.round(i === 0 ? f * fullMs : f * 300);
        const label = `${signal} at ${i === 0 ? `${Math.round(f * 100)}%` : `staging + ${ms} ms`}`;
        const r = await interrupt(['restore', 'latest', target], signal, ms, ctx.dev.home, whileStaging);
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
          if (i === 1) expect(staging(), `${label}: a killed restore leaves its staging directory`).toHaveLength(1);
        }
        const again = await ctx.dev.run(['restore', 'latest', target]);
        expect(again.code, again.stderr).toBe(0);
        expect(staging(), `${label}: the next restore removes the stale staging directory`).toEqual([]);
        expect(describe(join(target, 'src'))).toEqual(committed.get([...committed.keys()].at(-1)!));
        rmSync(target, { recursive: true });
      }
    }
  });
});
