// `npm run demo` (scripts/demo.ts) is the README's first impression: it must keep working. It runs the whole
// story against its own throwaway local runtime (snapshot backup, incremental backup, restore on a new device,
// dump, the independent restorer with `age`, the wrong-password countdown) and exits non-zero when any step does
// not do what it says. Needs python3 and the `age` CLI, as test/tools/bkv-restore-py.test.ts does.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run demo', () => {
  it('tells the whole story and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((res) => child.once('close', res));
    expect(code, out).toBe(0);
    expect(out).toMatch(/restored tree is identical to the original/);
    expect(out).toMatch(/the independent restore is identical to bkv's restore/);
    expect(out).toMatch(/the vault destroyed the backup key/);
    expect(out).toMatch(/runtime stopped, .* removed\./);
  }, 240_000);
});
