// `npm run demo`: the whole story in one command, against a throwaway local runtime. Starts `local/main.ts` on a
// free port with a fresh data dir (vault limit 3 so the countdown is short), backs up a sample directory behind a
// password with the `bkv` CLI, restores it on a "new device" (an empty BKV_HOME) with only the password, shows
// the wrong-password countdown up to the destroyed key on a second account, and stops and removes everything it
// started. Passwords go to the CLI on stdin, as a script would pipe them.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

async function bkv(device: Device, args: string[], stdin = '', shown = args.join(' ')): Promise<{ code: number; stdout: string }> {
  const feed = stdin ? dim(` <<< '${stdin.trim().split('\n').map(() => '••••••').join("\\n")}'`) : '';
  process.stdout.write(`${bold(`  [${device.name}] $ bkv ${shown}`)}${feed}\n`);
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, BKV_SERVER: server, BKV_HOME: device.home, BKV_ACCOUNT: device.account, BKV_PASSWORD: '', BKV_TOKEN: '',
      // The local runtime's scripts shortcut (README "Scripts and tests"); people sign in with `bkv login`.
      BKV_LOCAL_SECRET_FILE: join(work, 'server-data', 'local-token-secret') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  const indent = (d: Buffer) => d.toString().replace(/^(?=.)/gm, '    ');
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    process.stdout.write(indent(d));
  });
  child.stderr.on('data', (d: Buffer) => process.stdout.write(dim(indent(d))));
  child.stdin.end(stdin);
  const code = await new Promise<number>((res) => child.on('close', (c) => res(c ?? 1)));
  process.stdout.write(dim(`    (exit ${code})\n`));
  return { code, stdout };
}

function say(text: string): void {
  process.stdout.write(`\n${text}\n`);
}

async function sameTree(a: string, b: string): Promise<boolean> {
  const list = async (root: string) => (await readdir(root, { recursive: true })).sort();
  const [la, lb] = [await list(a), await list(b)];
  if (JSON.stringify(la) !== JSON.stringify(lb)) return false;
  for (const p of la) {
    if ((await stat(join(a, p))).isFile() && !(await readFile(join(a, p))).equals(await readFile(join(b, p)))) return false;
  }
  return true;
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
  runtime = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'local/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, BKV_PORT: String(port), BKV_DATA_DIR: join(work, 'server-data'), BKV_MAX_ATTEMPTS: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server = await waitForLine(runtime, /listening on (http:\/\/\S+)/, 20_000);
  say(`  listening on ${server}`);

  const sample = join(work, 'sample');
  await mkdir(join(sample, 'photos'), { recursive: true });
  await writeFile(join(sample, 'notes.txt'), 'the spare key is under the third flowerpot\n');
  await writeFile(join(sample, 'photos/holiday.jpg'), Buffer.alloc(3 * 1024 * 1024, 0x5a));
  await writeFile(join(sample, 'todo.md'), '- water the plants\n- back up the laptop\n');

  const laptop: Device = { name: 'laptop', home: join(work, 'laptop'), account: 'me' };
  const password = 'correct horse battery staple';
  say(bold('2. on the laptop: make a backup key K, keep it in the vault behind a password, back up a directory'));
  expectCode((await bkv(laptop, ['init', '--password'], `${password}\n`)).code, 0, 'init');
  expectCode((await bkv(laptop, ['backup', sample], '', `backup ${sample}`)).code, 0, 'backup');
  expectCode((await bkv(laptop, ['status'])).code, 0, 'status');

  const phone: Device = { name: 'new phone', home: join(work, 'phone'), account: 'me' };
  const restored = join(work, 'restored');
  say(bold('3. on a new device with nothing but the password: a typo first, then the right password'));
  expectCode((await bkv(phone, ['restore', restored], 'correct horse battery stapel\n', `restore ${restored}`)).code, 3, 'restore with a typo');
  expectCode((await bkv(phone, ['restore', restored], `${password}\n`, `restore ${restored}`)).code, 0, 'restore');
  const same = await sameTree(sample, restored);
  say(`  restored tree is ${same ? 'byte-identical to' : 'DIFFERENT from'} the original`);
  if (!same) throw new Error('demo: restored tree differs');

  const victim: Device = { name: 'stolen laptop', home: join(work, 'thief'), account: 'alice' };
  const aliceHome: Device = { name: 'alice', home: join(work, 'alice'), account: 'alice' };
  say(bold('4. the guess limit: someone without the password tries to restore alice\'s backups'));
  expectCode((await bkv(aliceHome, ['init'], 'alice has a long password\n')).code, 0, 'init alice');
  expectCode((await bkv(aliceHome, ['backup', sample], '', `backup ${sample}`)).code, 0, 'backup alice');
  const target = join(work, 'loot');
  expectCode((await bkv(victim, ['restore', target], 'password1\n', `restore ${target}`)).code, 3, 'guess 1');
  expectCode((await bkv(victim, ['restore', target], 'letmein\n', `restore ${target}`)).code, 3, 'guess 2');
  say('  the last attempt is announced and a script does not use it without --yes:');
  expectCode((await bkv(victim, ['restore', target], 'qwerty\n', `restore ${target}`)).code, 2, 'guarded guess');
  expectCode((await bkv(victim, ['restore', '--yes', target], 'qwerty\n', `restore --yes ${target}`)).code, 4, 'last guess');
  expectCode((await bkv(aliceHome, ['status'])).code, 0, 'status alice');
  say('  alice\'s own device still has K: she puts it back in the vault under a new password.');
  expectCode((await bkv(aliceHome, ['passwd'], 'a new long password\n')).code, 0, 'passwd alice');

  say(bold('5. stop everything'));
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
  say(`  runtime stopped, ${work} removed.`);
}
