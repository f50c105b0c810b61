// What a script and a pipe get from `bkv` (issue 24, findings 5 and 7; README "Scripts and tests"): a closed
// pipe ends a command quietly with 141 (`bkv ls latest | head`), global options before or after the subcommand,
// a wrong --server port is "cannot reach", errno spelled one way, --password-file/--password-command wherever a
// password is asked, `--json` on `key`, and a line said during a progress bar never lands on the bar's line.

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BKV_BIN, bkv, cliEnv, newDevice, removeDevices } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { bkvInTerminal } from '../helpers/pty.js';
import { device, scratch, type Device } from './snapshot-trees.js';

let rt: TestRuntime;
let work: string;
let src: string;
let dev: Device;
const PASSWORD = 'velvet-compass-drizzle-ozone';

beforeAll(async () => {
  rt = await startTestRuntime();
  work = scratch('bkv-scripts-');
  src = join(work, 'src');
  mkdirSync(src);
  for (let i = 0; i < 3000; i++) writeFileSync(join(src, `file-${i}.txt`), `${i}\n`);
  writeFileSync(join(work, 'pw'), `${PASSWORD}\n`, { mode: 0o600 });
  dev = device(rt, 'pat', await newDevice());
  const init = await dev.run(['init'], { BKV_PASSWORD: PASSWORD });
  expect(init.code, init.stderr).toBe(0);
  expect((await dev.run(['backup', src])).code).toBe(0);
});
afterAll(async () => {
  await removeDevices();
  rmSync(work, { recursive: true, force: true });
  await rt?.stop();
});

/** A closed port: one that was just listening and is not any more. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as { port: number };
  await new Promise((res) => server.close(res));
  return port;
}

describe('pipes', () => {
  it('bkv ls latest | head: exit 141 like any Unix tool, nothing on stderr', async () => {
    const env = cliEnv({ BKV_SERVER: rt.url, BKV_HOME: dev.home, BKV_ACCOUNT: 'pat' });
    // not spawnSync: the runtime answers from this process's event loop
    const child = spawn('bash', ['-c', `"${process.execPath}" "${BKV_BIN}" ls latest | head -n 2; echo "status \${PIPESTATUS[0]}" >&2`], { env });
    const r = { stdout: '', stderr: '' };
    child.stdout.setEncoding('utf8').on('data', (d: string) => (r.stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (r.stderr += d));
    await new Promise((res) => child.on('close', res));
    expect(r.stdout.split('\n').length, r.stderr).toBe(3);
    expect(r.stderr).toBe('status 141\n');
  });
});

describe('global options', () => {
  it('--account and --json before the subcommand are the same as after it', async () => {
    const env = { BKV_SERVER: rt.url, BKV_HOME: dev.home, BKV_LOCAL_SECRET_FILE: rt.tokenSecretFile };
    const before = await bkv(['--account', 'pat', '--json', 'snapshots'], env);
    const after = await bkv(['snapshots', '--account', 'pat', '--json'], env);
    expect(before.code, before.stderr).toBe(0);
    expect(after.stdout).toBe(before.stdout);
    expect((JSON.parse(before.stdout) as unknown[]).length).toBe(1);
    const quiet = await bkv(['--quiet', '--server', rt.url, 'backup', src, '--account', 'pat'], env);
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(quiet.stderr).toBe('');
  });

  it('a wrong --server port is "cannot reach <url>" (exit 1), not "not signed in"', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    // a sign-in (none for this URL) and the local runtime's shortcut say the same
    for (const [args, extra] of [[['--server', url, 'snapshots'], {}], [['status', '--server', url], {}], [['status', '--server', url], { BKV_LOCAL_SECRET_FILE: rt.tokenSecretFile }]] as const) {
      const r = await bkv([...args], { BKV_HOME: dev.home, ...extra });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^bkv: cannot reach ${url} \\(is the server running\\? see --server and BKV_SERVER\\)\\n$`, 'm'));
      expect(r.stderr).not.toMatch(/signed in|sign in/);
    }
  });

  it('a wrong --server with the account given: no key there, and the server it has one for is named', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await bkv(['--server', url, 'snapshots', '--account', 'pat'], { BKV_HOME: dev.home, BKV_LOCAL_SECRET_FILE: rt.tokenSecretFile });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`bkv: this device has no backup key for pat at ${url}: run bkv key fetch (the vault password) or bkv init`
      + ` (it has one for pat at ${rt.url}: is --server right?)\n`);
  });
});

describe('errno in messages', () => {
  it.for([
    [['encrypt', '--key-file', '/nope/key'], 2, 'bkv: cannot read key file /nope/key: no such file or directory\n'],
    [['backup', '/nope/dir'], 1, 'bkv: cannot back up /nope/dir: no such file or directory\n'],
    [['restore', 'latest', '/nope/r', '--password-file', '/nope/pw'], 1, 'bkv: cannot read --password-file /nope/pw: no such file or directory\n'],
  ] as const)('%o: %i, %s', async ([args, code, message]) => {
    // backup on the device with K; restore on a new one (it asks for the password)
    const home = args[0] === 'backup' ? dev.home : await newDevice();
    const r = await bkv([...args], { BKV_SERVER: rt.url, BKV_HOME: home, BKV_ACCOUNT: 'pat' });
    expect(r.stderr.split('\n').filter((l) => l.startsWith('bkv:')).join('\n') + '\n').toBe(message);
    expect(r.code).toBe(code);
  });
});

describe('passwords for scripts', () => {
  it('--password-command gets K with key fetch; a failing or wrong one spends nothing or says so', async () => {
    const phone = device(rt, 'pat', await newDevice());
    const failing = await phone.run(['key', 'fetch', '--password-command', 'exit 3']);
    expect(failing.code).toBe(2);
    expect(failing.stderr).toBe('bkv: --password-command failed (exit 3); no password was read\n');
    const both = await phone.run(['key', 'fetch', '--password-command', 'true', '--password-file', join(work, 'pw')]);
    expect(both.stderr).toBe('bkv: choose one of --password-file and --password-command\n');
    expect(both.code).toBe(2);
    const attempts = async () => (await (await rt.vaultClient('pat')).status()).attemptsRemaining;
    expect(await attempts()).toBe(10);
    const r = await phone.run(['key', 'fetch', '--json', '--password-command', `cat '${join(work, 'pw')}'`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ account: 'pat', protection: 'password', fetched: true });
    const shown = JSON.parse((await phone.run(['key', 'show', '--json'])).stdout) as { account: string; server: string; key: string };
    expect(shown).toEqual({ account: 'pat', server: rt.url, key: (await dev.run(['key', 'show'])).stdout.trim() });
    expect(await attempts()).toBe(10);
  });

  it('--new-password-file with --password-file changes the password (bkv passwd)', async () => {
    writeFileSync(join(work, 'pw2'), 'marble-tundra-gossip-lantern\n', { mode: 0o600 });
    const r = await dev.run(['passwd', '--password-file', join(work, 'pw'), '--new-password-file', join(work, 'pw2')]);
    expect(r.code, r.stderr).toBe(0);
    const phone = device(rt, 'pat', await newDevice());
    expect((await phone.run(['key', 'fetch', '--password-file', join(work, 'pw')])).code).toBe(3);
    expect((await phone.run(['key', 'fetch', '--password-file', join(work, 'pw2')])).code).toBe(0);
    writeFileSync(join(work, 'pw'), readFileSync(join(work, 'pw2')));
  });

  it('key new and key age-identity print one JSON shape each', async () => {
    const fresh = JSON.parse((await bkv(['key', 'new', '--json'], {})).stdout) as { key: string };
    expect(Object.keys(fresh)).toEqual(['key']);
    expect(fresh.key).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){15}$/);
    const id = JSON.parse((await bkv(['key', 'age-identity', '--json'], {}, fresh.key)).stdout) as Record<string, string>;
    expect(Object.keys(id)).toEqual(['identity', 'recipient']);
    expect(id.identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
    expect(id.recipient).toMatch(/^age1[0-9a-z]+$/);
  });
});

describe('--json on forget and check', () => {
  it('forget --dry-run --json: the groups with kept and deleted ids, nothing deleted; check --json: counts and no errors', async () => {
    const list = JSON.parse((await dev.run(['snapshots', '--json'])).stdout) as { id: string }[];
    expect(list.length).toBeGreaterThanOrEqual(2);
    const r = await dev.run(['forget', '--keep-last', '1', '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { dryRun: boolean; groups: { host: string; paths: string[]; keep: string[]; remove: string[] }[] };
    expect(out.dryRun).toBe(true);
    expect(out.groups).toHaveLength(1);
    expect(out.groups[0]!.paths).toEqual([src]);
    expect(out.groups[0]!.keep).toEqual([list.at(-1)!.id]);
    expect(out.groups[0]!.remove.sort()).toEqual(list.slice(0, -1).map((x) => x.id).sort());
    expect((JSON.parse((await dev.run(['snapshots', '--json'])).stdout) as unknown[]).length).toBe(list.length);
    const c = await dev.run(['check', '--json']);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ snapshots: list.length, readData: false, errors: [] });
  });
});

describe('progress bar', () => {
  it('a line said while the bar is shown clears the bar\'s line first instead of landing at its end', async () => {
    const t = bkvInTerminal(['restore', 'latest', join(work, 'restored')], { BKV_SERVER: rt.url, BKV_HOME: await newDevice(), BKV_ACCOUNT: 'pat' });
    await t.waitFor(/password for pat: $/);
    t.type(`${readFileSync(join(work, 'pw'), 'utf8').trim()}\r`);
    await t.waitFor(/restored 3000 files/);
    expect(await t.exited).toBe(0);
    const at = t.raw.indexOf('this device now keeps');
    expect(at).toBeGreaterThan(0);
    // eslint-disable-next-line no-control-regex
    expect(t.raw.slice(0, at)).toMatch(/(\n|\x1b\[2K)$/);
  });
});

describe('backup --stdin', () => {
  it('backs up a stream as one file, deduplicated like any file, and dump gives it back', async () => {
    const dumpText = `${'INSERT INTO t VALUES (1);\n'.repeat(200_000)}-- end\n`;
    const first = await dev.run(['backup', '--stdin', '--stdin-filename', 'db.sql', '--json'], {}, dumpText);
    expect(first.code, first.stderr).toBe(0);
    const a = JSON.parse(first.stdout) as { summary: { files: number; bytes: number; newBytes: number } };
    expect(a.summary).toMatchObject({ files: 1, bytes: dumpText.length });
    const again = await dev.run(['backup', '--stdin', '--stdin-filename', 'db.sql', '--json'], {}, dumpText);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { summary: { newBytes: number } }).summary.newBytes).toBe(0);
    const out = await dev.run(['dump', 'latest', 'db.sql']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe(dumpText);
  });

  it.for([
    [['backup', '-'], 2, /cannot back up -: to back up standard input use --stdin/],
    [['backup', '/dev/stdin'], 2, /not a file or directory \(to back up a stream use --stdin\)/],
    [['backup', '--stdin', 'also-a-path'], 2, /give no paths with it/],
    [['backup', '--stdin', '--stdin-filename', 'a/b'], 2, /must be one file name/],
    [['backup', '--stdin-filename', 'x', '/tmp'], 2, /goes with --stdin/],
  ] as const)('%o: exit %i', async ([args, code, message]) => {
    const r = await dev.run([...args], {}, 'data');
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(code);
  });
});
