// `npm test`'s pretest step (scripts/ensure-test-deps.mjs): on this machine every Debian tool the tests run is
// there; without them and without root it changes nothing and stops with the one command to run (exit 1), and
// it runs from any checkout (here a copy readable by `nobody`). Issue 24: "the README's two commands are the whole
// set-up, tests included".

import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingPackages, TEST_PACKAGES } from '../../scripts/ensure-test-deps.mjs';

const SCRIPT = resolve(import.meta.dirname, '../../scripts/ensure-test-deps.mjs');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function run(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr })));
}

describe('ensure-test-deps', () => {
  it('finds every package the tests need on this machine', () => {
    expect(missingPackages()).toEqual([]);
    expect(Object.keys(TEST_PACKAGES).sort()).toEqual(['acl', 'age', 'attr', 'bsdutils', 'chromium', 'python3', 'rclone', 'restic']);
  });

  it('without the tools and without root: exit 1 and the one command to run, nothing installed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bkv-deps-'));
    dirs.push(dir);
    chmodSync(dir, 0o755);
    copyFileSync(SCRIPT, join(dir, 'ensure-test-deps.mjs'));
    chmodSync(join(dir, 'ensure-test-deps.mjs'), 0o644);
    symlinkSync(process.execPath, join(dir, 'node')); // a PATH with node and nothing else
    const r = await run(['runuser', '-u', 'nobody', '--', 'env', `PATH=${dir}`, join(dir, 'node'), join(dir, 'ensure-test-deps.mjs')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toBe('the tests need these Debian packages: age, chromium, attr, acl, bsdutils, python3, restic, rclone. install them, then run npm test again:\n'
      + '  sudo sh -c \'apt-get update && apt-get install -y age chromium attr acl bsdutils python3 restic rclone\'\n');
    expect(r.stdout).toBe('');
  });

  it('is npm test\'s pretest step, and .ci/run leaves the installing to it', () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.pretest).toBe('node scripts/ensure-test-deps.mjs');
    const ci = readFileSync(resolve(import.meta.dirname, '../../.ci/run'), 'utf8');
    expect(ci).not.toMatch(/apt-get/);
    expect(ci).toMatch(/^npm test$/m);
  });
});
