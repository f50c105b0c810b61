// `npm test`'s pretest step: the Debian tools the test suite runs, checked by command, and installed with apt-get
// when they are missing and this runs as root (one `apt-get update` first); otherwise it stops with the one
// command to run. The README's "Development" section lists them; `.ci/run` relies on this too.
//   age, age-keygen (age)   interop of the backup format (test/client, test/cli/key-crypt)
//   chromium                the browser sign-in tests (test/e2e), driven by playwright-core, never a downloaded browser
//   getfattr, setfattr (attr)  extended attributes in snapshot tests
//   getfacl, setfacl (acl)  POSIX ACLs in snapshot tests (run as root)
//   script (bsdutils)       the pseudo-terminal of test/helpers/pty.ts
//   python3                 tools/bkv-restore.py, the independent restorer (test/tools)
//   restic, rclone          the benchmark peers and their checks
// BKV_SKIP_TEST_DEPS=1 skips the check (a machine that runs only part of the suite).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Debian package → the commands it provides that the tests run. */
export const TEST_PACKAGES = {
  age: ['age', 'age-keygen'],
  chromium: ['chromium'],
  attr: ['getfattr', 'setfattr'],
  acl: ['getfacl', 'setfacl'],
  bsdutils: ['script'],
  python3: ['python3'],
  restic: ['restic'],
  rclone: ['rclone'],
};

function onPath(command, path = process.env.PATH ?? '') {
  return path.split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The packages whose commands are not all on PATH. */
export function missingPackages(path = process.env.PATH ?? '') {
  return Object.entries(TEST_PACKAGES).filter(([, commands]) => !commands.every((c) => onPath(c, path))).map(([pkg]) => pkg);
}

function run(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

export function main() {
  if (process.env.BKV_SKIP_TEST_DEPS === '1') return 0;
  const missing = missingPackages();
  if (missing.length === 0) return 0;
  const install = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  const asRoot = `sudo sh -c '${install}'`;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !onPath('apt-get')) {
    process.stderr.write(`the tests need these Debian packages: ${missing.join(', ')}. install them, then run npm test again:\n  ${asRoot}\n`);
    return 1;
  }
  process.stderr.write(`installing the Debian packages the tests need: ${missing.join(', ')}\n`);
  if (!run(['apt-get', 'update', '-qq']) || !run(['apt-get', 'install', '-y', '-qq', ...missing])) {
    process.stderr.write(`apt-get failed; run it yourself, then npm test again:\n  ${install}\n`);
    return 1;
  }
  const still = missingPackages();
  if (still.length > 0) {
    process.stderr.write(`still missing after apt-get: ${still.join(', ')}\n`);
    return 1;
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main();
