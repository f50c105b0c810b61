// capYoungGeneration (runtime/gc.ts): once V8's young generation reached the cap, it grows no more, however
// fast the thread allocates; without the cap the same allocation grows it past it (so the test can tell). Run in
// a child process: the flag it sets is process-wide.

import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const GC_TS = new URL('../../runtime/gc.ts', import.meta.url).href;
const MiB = 1024 * 1024;

/** The largest new space (both semispaces) seen while a child allocates fast, with or without the cap. */
function peakNewSpace(cap: boolean): number {
  const script = `
    import { getHeapSpaceStatistics } from 'node:v8';
    import { capYoungGeneration } from ${JSON.stringify(GC_TS)};
    const keep = [];
    let peak = 0;
    for (let i = 0; i < 2e6; i++) {
      keep.push({ i, s: 'x' + i });
      if (keep.length > 20000) keep.splice(0, 10000);
      if (i % 1000 === 0) {
        if (${cap}) capYoungGeneration(4 * 1024 * 1024);
        const s = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
        peak = Math.max(peak, s.space_size);
      }
    }
    process.stdout.write(String(peak));`;
  return Number(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('capYoungGeneration', () => {
  it('holds the young generation at 4 MiB semispaces; V8 alone grows it further', () => {
    expect(peakNewSpace(false)).toBeGreaterThan(8 * MiB);
    const capped = peakNewSpace(true);
    expect(capped).toBe(8 * MiB); // it reached the cap, then stopped
  });
});
