// `npm run demo`: the whole story in one command, against a throwaway local runtime. Starts `local/main.ts` on a
// free port with a fresh data dir (vault limit 3 so the countdown is short); on a "laptop" backs up a sample
// directory as a snapshot behind a password, changes it and backs up again (only the change is uploaded);
// restores on a "new device" (an empty BKV_HOME) with only the password, and one file on its own; restores the
// same snapshot with nothing but `age` and tools/bkv-restore.py from the data dir's objects and shows the trees
// are identical; shows the wrong-password countdown up to the destroyed key on a second account; and stops and
// removes everything it started. Passwords go to the CLI on stdin, as a script would pipe them; tokens come from
// the data dir's secret file (the local runtime's scripts shortcut, README "Scripts and tests").
// Exits non-zero if any step does not do what it says (test/local/demo.test.ts runs it).

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { freePort } from '../local/free-port.js';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin/bkv.js');
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`local runtime not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1] ?? m[0]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => rej(new Error(`local runtime exited (${code}):\n${out}`)));
  });
}

interface Device {
  name: string;
  home: string;
  account: string;
}

let server = '';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd args` (for bkv: the CLI of this checkout, on `device`), echoing it; `secret` hides stdin and stdout. */
async function run(cmd: string, args: string[], opts: { device?: Device; stdin?: string; shown?: string; secret?: boolean } = {}): Promise<Run> {
  const { device, stdin = '', secret = false } = opts;
  const shown = opts.shown ?? args.join(' ');
  const feed = stdin ? dim(` <<< '${stdin.trim().split('\n').map(() => '••••••').join('\\n')}'`) : '';
  process.stdout.write(`${bold(`  ${device ? `[${device.name}] ` : ''}$ ${cmd === 'bkv' ? 'bkv' : cmd} ${shown}`)}${feed}\n`);
  const argv = cmd === 'bkv' ? [process.execPath, BIN, ...args] : [cmd, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { ...process.env, BKV_SERVER: server, BKV_HOME: device?.home ?? join(work, 'nobody'), BKV_ACCOUNT: device?.account ?? '',
      BKV_PASSWORD: '', BKV_TOKEN: '', BKV_KEY: '',
      // The local runtime's scripts shortcut (README "Scripts and tests"); people sign in with `bkv login`.
      BKV_LOCAL_SECRET_FILE: join(work, 'server-data', 'local-token-secret') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const indent = (d: Buffer) => d.toString().replace(/^(?=.)/gm, '    ');
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (!secret) process.stdout.write(indent(d));
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    process.stdout.write(dim(indent(d)));
  });
  child.stdin.end(stdin);
  const code = await new Promise<number>((res) => {
    child.once('error', () => res(127));
    child.once('close', (c) => res(c ?? 1));
  });
  if (secret && stdout) process.stdout.write(dim('    (output not shown)\n'));
  process.stdout.write(dim(`    (exit ${code})\n`));
  return { code, stdout, stderr };
}

const bkv = (device: Device, args: string[], stdin = '', shown?: string) => run('bkv', args, { device, stdin, shown });

function say(text: string): void {
  process.stdout.write(`\n${text}\n`);
}

/** Same names, kinds, symlink targets, permission bits and file bytes (SHA-256). */
async function sameTree(a: string, b: string): Promise<boolean> {
  const describe = async (root: string) => {
    const out: string[] = [];
    for (const p of (await readdir(root, { recursive: true })).sort()) {
      const full = join(root, p);
      const st = await lstat(full);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${p} -> ${await readlink(full)}`);
      else if (st.isDirectory()) out.push(`${p}/ ${mode}`);
      else out.push(`${p} ${mode} ${createHash('sha256').update(await readFile(full)).digest('hex')}`);
    }
    return out.join('\n');
  };
  return (await describe(a)) === (await describe(b));
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function expectCode(got: number, want: number, what: string): void {
  if (got !== want) throw new Error(`demo: ${what} exited ${got}, expected ${want}`);
}

const work = await mkdtemp(join(tmpdir(), 'bkv-demo-'));
let runtime: ChildProcess | undefined;
const cleanup = async () => {
  if (runtime && runtime.exitCode === null) {
    runtime.kill('SIGTERM');
    await new Promise((res) => runtime!.once('exit', res));
  }
  await rm(work, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

try {
  const port = await freePort();
  say(bold(`1. start the local runtime (port ${port}, fresh data dir, 3 password attempts)`));
  const dataDir = join(work, 'server-data');
  runtime = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, BKV_PORT: String(port), BKV_DATA_DIR: dataDir, BKV_MAX_ATTEMPTS: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = await waitForLine(runtime, /listening on (http:\/\/\S+)/, 20_000);
  say(`  listening on ${server}`);

  const sample = join(work, 'Documents');
  await mkdir(join(sample, 'photos'), { recursive: true });
  await mkdir(join(sample, 'empty'));
  await writeFile(join(sample, 'notes.txt'), 'the spare key is under the third flowerpot\n');
  await writeFile(join(sample, 'photos/holiday.jpg'), randomBytes(3 * 1024 * 1024));
  await writeFile(join(sample, 'todo.md'), '- water the plants\n- back up the laptop\n');
  await symlink('photos/holiday.jpg', join(sample, 'latest-photo.jpg'));

  const laptop: Device = { name: 'laptop', home: join(work, 'laptop'), account: 'me' };
  const password = 'correct horse battery staple';
  say(bold('2. on the laptop: make a backup key K, keep it in the vault behind a password, back up a directory'));
  expectCode((await bkv(laptop, ['init', '--password'], `${password}\n`)).code, 0, 'init');
  expectCode((await bkv(laptop, ['backup', sample])).code, 0, 'backup');

  say(bold('3. a change, and an incremental backup: unchanged files are not read again, known chunks not uploaded'));
  await appendFile(join(sample, 'notes.txt'), 'and the bike lock code is 4711\n');
  await writeFile(join(sample, 'todo.md'), '- water the plants\n- back up the laptop (done)\n- call grandma\n');
  const second = await bkv(laptop, ['backup', '--json', sample]);
  expectCode(second.code, 0, 'second backup');
  const summary = (JSON.parse(second.stdout) as { summary: { bytes: number; newBytes: number; uploadedBytes: number } }).summary;
  say(`  the second snapshot holds ${mib(summary.bytes)} of files; ${summary.newBytes} B of them were new, and it uploaded ${mib(summary.uploadedBytes)}`
    + ' (the new chunks, trees and its snapshot object, each an age file).');
  if (summary.uploadedBytes >= 1024 * 1024) throw new Error('demo: the incremental backup uploaded too much');
  expectCode((await bkv(laptop, ['snapshots'])).code, 0, 'snapshots');

  const phone: Device = { name: 'new phone', home: join(work, 'phone'), account: 'me' };
  const restored = join(work, 'restored');
  say(bold('4. on a new device with nothing but the password: a typo first, then the right password'));
  expectCode((await bkv(phone, ['restore', 'latest', restored], 'correct horse battery stapel\n')).code, 3, 'restore with a typo');
  expectCode((await bkv(phone, ['restore', 'latest', restored], `${password}\n`)).code, 0, 'restore');
  const same = await sameTree(sample, join(restored, basename(sample)));
  say(`  restored tree is ${same ? 'identical to' : 'DIFFERENT from'} the original (names, modes, symlinks, SHA-256 of every file)`);
  if (!same) throw new Error('demo: restored tree differs');

  say(bold('5. one file on its own, to stdout (the device keeps K now: no password asked)'));
  const dumped = await bkv(phone, ['dump', 'latest', `${basename(sample)}/notes.txt`]);
  expectCode(dumped.code, 0, 'dump');
  if (dumped.stdout !== await readFile(join(sample, 'notes.txt'), 'utf8')) throw new Error('demo: dump differs');

  say(bold('6. no lock-in: the same snapshot with only `age`, Python 3 and tools/bkv-restore.py'));
  const repoDir = join(dataDir, 'objects', 'bkv-backups', 'accounts', Buffer.from(phone.account).toString('base64url'), 'repo');
  say(`  every object in ${repoDir} is a standard age file:`);
  const anyData = (await readdir(join(repoDir, 'data'), { recursive: true })).find((p) => /[0-9a-f]{64}/.test(p) && !p.endsWith('.json'));
  if (anyData) {
    const head = (await readFile(join(repoDir, 'data', anyData))).subarray(0, 21).toString('latin1');
    say(`    data/${anyData.slice(0, 16)}…: ${JSON.stringify(head)}`);
    if (head !== 'age-encryption.org/v1') throw new Error('demo: a data object is not an age file');
  }
  const k = await run('bkv', ['key', 'show'], { device: phone, secret: true });
  expectCode(k.code, 0, 'key show');
  const identity = await run('bkv', ['key', 'age-identity'], { stdin: k.stdout, secret: true });
  expectCode(identity.code, 0, 'key age-identity');
  const identityFile = join(work, 'identity.txt');
  await writeFile(identityFile, identity.stdout, { mode: 0o600 });
  say(`  (the identity, AGE-SECRET-KEY-1…, is in ${identityFile})`);
  const independent = join(work, 'restored-by-python');
  const py = await run('python3', [join(ROOT, 'tools/bkv-restore.py'), '--identity', identityFile, '--repo', repoDir, 'restore', 'latest', independent],
    { shown: `tools/bkv-restore.py --identity identity.txt --repo ${repoDir} restore latest ${independent}` });
  if (py.code === 127) throw new Error('demo: python3 is needed for this step');
  expectCode(py.code, 0, 'bkv-restore.py');
  const samePy = await sameTree(restored, independent);
  say(`  the independent restore is ${samePy ? 'identical to' : 'DIFFERENT from'} bkv's restore`);
  if (!samePy) throw new Error('demo: the independent restore differs');

  const victim: Device = { name: 'stolen laptop', home: join(work, 'thief'), account: 'alice' };
  const aliceHome: Device = { name: 'alice', home: join(work, 'alice'), account: 'alice' };
  say(bold('7. the guess limit: someone without the password tries to restore alice\'s snapshots'));
  expectCode((await bkv(aliceHome, ['init'], 'alice has a long password\n')).code, 0, 'init alice');
  expectCode((await bkv(aliceHome, ['backup', '--quiet', sample])).code, 0, 'backup alice');
  const target = join(work, 'loot');
  expectCode((await bkv(victim, ['restore', 'latest', target], 'password1\n')).code, 3, 'guess 1');
  expectCode((await bkv(victim, ['restore', 'latest', target], 'letmein\n')).code, 3, 'guess 2');
  say('  the last attempt is announced and a script does not use it without --yes:');
  expectCode((await bkv(victim, ['restore', 'latest', target], 'qwerty\n')).code, 2, 'guarded guess');
  expectCode((await bkv(victim, ['restore', '--yes', 'latest', target], 'qwerty\n')).code, 4, 'last guess');
  expectCode((await bkv(aliceHome, ['status'])).code, 0, 'status alice');
  say('  alice\'s own device still has K: she puts it back in the vault under a new password.');
  expectCode((await bkv(aliceHome, ['passwd'], 'a new long password\n')).code, 0, 'passwd alice');

  say(bold('8. stop everything'));
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
  say(`  runtime stopped, ${work} removed.`);
}
