// A wrong deployment setting stops `cdk synth` (lib/main.ts, what cdk.json runs) with one clear line naming the
// setting and exit 2, never an uncaught ConfigError with a stack trace, and writes no cloud assembly (docs/deploy.md
// "Configure"). Issue 24 finding 7.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const outdirs: string[] = [];
afterAll(() => outdirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function synth(context: Record<string, unknown>): { status: number | null; stderr: string; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'bkv-synth-'));
  outdirs.push(outdir);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/main.ts'], {
    cwd: ROOT, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) },
  });
  return { status: r.status, stderr: r.stderr, outdir };
}

describe('cdk synth with a wrong setting', () => {
  it.for([
    [{ 'bkv:maxAttempts': 0 }, 'bkv: bad setting: bkv:maxAttempts must be an integer from 1 to 255, got 0'],
    [{ 'bkv:regions': 'us-east-1,eu-west-1' }, 'bkv: bad setting: bkv:regions must be "primary,replica,witness" (three regions), got "us-east-1,eu-west-1"'],
  ] satisfies [Record<string, unknown>, string][])('%o: one line naming it, exit 2, no stack, nothing synthesized', { timeout: 120_000 }, ([context, line]) => {
    const r = synth(context);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('bkv:'))).toEqual([`${line} (cdk.json "context" or -c key=value; see docs/deploy.md)`]);
    expect(r.stderr).not.toMatch(/ConfigError|\n\s+at /);
    expect(readdirSync(r.outdir).filter((n) => n.endsWith('.template.json'))).toEqual([]);
  });
});
