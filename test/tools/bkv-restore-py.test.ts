// Runs the independent restorer's Python test suite (tools/tests, `python3 -m unittest`) so that `npm test` covers
// tools/bkv-restore.py: the restorer is written from docs/repository.md alone and must keep restoring what the
// spec describes. Needs python3 (3.9+) and the `age` CLI (Debian package `age`), as the age interop tests do.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('tools/bkv-restore.py', () => {
  it('passes its unittest suite (python3 -m unittest discover -s tools/tests)', () => {
    const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'tools/tests'], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 120_000,
    });
    expect(run.error, 'python3 must be installed').toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^OK$/m);
    expect(run.stderr).not.toMatch(/skipped/);
  }, 120_000);
});
