// The snapshot commands end to end, as a new user would run them against a test runtime: `bkv init --key`,
// backup (id and summary; the second one uploads only the change), snapshots (--json), ls, restore
// (byte-identical: contents, modes, symlinks of every kind, hard links, µs mtimes; --include), dump, forget per
// group (never another directory's snapshots, every deletion named), prune (names what it deletes, the
// repository still restores), check and check --read-data (exit 5 after one flipped byte in a pack), an
// unreadable file (exit 6, named, the snapshot marked incomplete), init on a second device of an account that
// has a repository (refused), a wrong --key-file (exit 3), a server hiding the newest snapshot (restore latest
// exits 5, --accept-rollback), and bad input (exit 2, nothing changed).
// docs/threat-model.md invariant 9; README "Snapshots" and "Exit codes".

import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe as suite, expect, it } from 'vitest';
import { removeDevices, newDevice } from '../helpers/cli.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { WITHOUT_FILE_POWERS, bkvRaw, describe, device, makeTree, setMtime, objects, parseSnapshots, repoDir, scratch, type Device } from './snapshot-trees.js';

let rt: TestRuntime;
let dev: Device;
let work: string;
let src: string;
let other: string;
const ACCOUNT = 'sam';
const ids: string[] = [];

beforeAll(async () => {
  rt = await startTestRuntime();
  work = scratch();
  src = join(work, 'src');
  other = join(work, 'other');
  mkdirSync(src);
  makeTree(src);
  mkdirSync(other);
  writeFileSync(join(other, 'o.txt'), 'other directory\n');
  dev = device(rt, ACCOUNT, await newDevice());
});

afterAll(async () => {
  await removeDevices();
  rmSync(work, { recursive: true, force: true });
  await rt?.stop();
});

const ok = (r: { code: number | null; stderr: string }) => expect(r.code, r.stderr).toBe(0);

/** The JSON progress lines of a command's stderr (--json). */
function progressLines(stderr: string): Record<string, unknown>[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o.type === 'progress');
}

suite('bkv snapshot commands, end to end', () => {
  it('init --key prints the 64-digit key once and keeps it on the device', async () => {
    const r = await dev.run(['init', '--key']);
    ok(r);
    expect(r.stdout.trim()).toMatch(/^[0-9a-f]{4}(-[0-9a-f]{4}){15}$/);
    writeFileSync(join(work, 'key.txt'), r.stdout);
  });

  it('backup prints the snapshot id and a summary; a second one after one change uploads only a little', async () => {
    const first = await dev.run(['backup', src]);
    ok(first);
    const id = first.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(first.stderr).toMatch(new RegExp(`snapshot ${id.slice(0, 8)} saved: \\d+ files, .*uploaded`));
    ids.push(id);
    writeFileSync(join(src, 'docs/a.txt'), 'alpha, changed\n');
    setMtime(join(src, 'docs/a.txt'), '1700000100.250001');
    const second = await dev.run(['backup', '--json', src]);
    ok(second);
    const j = JSON.parse(second.stdout) as { snapshot: string; summary: { uploadedBytes: number; bytes: number } };
    const firstJ = parseSnapshots(await dev.run(['snapshots', '--json'])).find((s) => s.id === id)!;
    expect(firstJ.summary.uploadedBytes).toBeGreaterThan(250_000);
    expect(j.summary.uploadedBytes).toBeGreaterThan(0);
    expect(j.summary.uploadedBytes).toBeLessThan(firstJ.summary.uploadedBytes / 10);
    ids.push(j.snapshot);
  });

  it('snapshots --json lists id, time, host, paths, sizes and file count; the table names each', async () => {
    const list = parseSnapshots(await dev.run(['snapshots', '--json']));
    expect(list.map((s) => s.id)).toEqual(ids);
    for (const s of list) {
      expect(s).toMatchObject({ host: hostname(), paths: [src], incomplete: false });
      expect(Date.parse(s.time)).toBeGreaterThan(Date.now() - 600_000);
      expect(s.summary.files).toBe(9);
      expect(s.summary.symlinks).toBe(5);
      expect(s.summary.bytes).toBeGreaterThan(900_000);
    }
    const table = await dev.run(['snapshots']);
    ok(table);
    for (const id of ids) expect(table.stdout).toContain(id.slice(0, 8));
  });

  it('ls lists a snapshot, and one path in it', async () => {
    const all = await dev.run(['ls', ids[1]!]);
    ok(all);
    expect(all.stdout).toMatch(/^l.* src\/to-hostname -> \/etc\/hostname$/m);
    expect(all.stdout).toMatch(/^-4755 .* src\/tool$/m);
    expect(all.stdout).toMatch(/^d1777 .* src\/shared$/m);
    const one = await dev.run(['ls', ids[0]!, 'src/docs/deep']);
    ok(one);
    const paths = one.stdout.trim().split('\n').map((l) => l.split(' ').at(-1));
    expect(paths).toEqual(['src/docs/deep', 'src/docs/deep/er', 'src/docs/deep/er/b.bin', 'src/docs/deep/hard-a2']);
  });

  it('restore latest is byte-identical: contents, modes, symlinks (absolute, ../x), hard links, µs mtimes', async () => {
    const target = join(work, 'restored');
    ok(await dev.run(['restore', 'latest', target]));
    expect(readdirSync(target)).toEqual(['src']);
    const got = describe(join(target, 'src'));
    expect(got).toEqual(describe(src));
    expect(got['to-hostname']).toEqual({ type: 'symlink', target: '/etc/hostname' });
    expect(got['docs/to-parent-x']).toEqual({ type: 'symlink', target: '../x' });
    expect(got['hard-a']!.link).toBe('docs/a.txt');
    expect(got['docs/a.txt']!.mtimeUs).toBe('1700000100250001');
    expect(readdirSync(work).filter((n) => n !== 'src' && n !== 'other' && n !== 'restored' && n !== 'key.txt')).toEqual([]);
  });

  it('restore --json prints the result and progress as JSON lines; --quiet prints nothing at all', async () => {
    const target = join(work, 'restored-json');
    const r = await dev.run(['restore', '--json', 'latest', target]);
    ok(r);
    const result = JSON.parse(r.stdout) as { files: number; bytes: number; snapshot: string; target: string };
    expect(result).toMatchObject({ snapshot: ids[1], target });
    const lines = progressLines(r.stderr);
    expect(lines.length).toBeGreaterThan(0);
    const last = lines[lines.length - 1]!;
    expect(last).toMatchObject({ command: 'restore', unit: 'bytes', done: result.bytes, total: result.bytes, files: result.files, totalFiles: result.files, etaSeconds: 0 });
    expect(describe(join(target, 'src'))).toEqual(describe(src));
    const quiet = join(work, 'restored-quiet');
    const q = await dev.run(['restore', '--quiet', 'latest', quiet]);
    ok(q);
    expect([q.stdout, q.stderr]).toEqual(['', '']);
    expect(describe(join(quiet, 'src'))).toEqual(describe(src));
    rmSync(target, { recursive: true });
    rmSync(quiet, { recursive: true });
  });

  it('restore <id> --include restores only that path, from the older snapshot, into a target whose parents it makes', async () => {
    const target = join(work, 'new', 'parents', 'partial');
    ok(await dev.run(['restore', ids[0]!, target, '--include', 'src/docs']));
    const got = describe(join(target, 'src'));
    expect(Object.keys(got).filter((p) => !p.startsWith('docs'))).toEqual([]);
    expect(readFileSync(join(target, 'src/docs/a.txt'), 'utf8')).toBe('alpha\n');
    expect(got['docs/deep/er/b.bin']).toEqual(describe(src)['docs/deep/er/b.bin']);
    expect(readdirSync(join(work, 'new', 'parents'))).toEqual(['partial']);
    rmSync(join(work, 'new'), { recursive: true });
  });

  it('a restore target under a regular file is a file-system error (exit 1) naming it, and nothing is written', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'not a directory');
    const before = readdirSync(work).sort();
    const r = await dev.run(['restore', 'latest', join(file, 'target')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^bkv: cannot restore into ${file}/target: a parent is not a directory$`, 'm'));
    expect(readdirSync(work).sort()).toEqual(before);
    expect(readFileSync(file, 'utf8')).toBe('not a directory');
    rmSync(file);
  });

  it('dump writes one file to stdout byte-identical', async () => {
    const r = await bkvRaw(['dump', ids[1]!, 'src/docs/deep/er/b.bin'], { BKV_SERVER: rt.url, BKV_HOME: dev.home, BKV_ACCOUNT: ACCOUNT });
    ok(r);
    expect(Buffer.compare(r.stdout, readFileSync(join(src, 'docs/deep/er/b.bin')))).toBe(0);
  });

  it('forget --keep-last 1 works per group: the other directory keeps its snapshot; every deletion is named', async () => {
    const o = await dev.run(['backup', other]);
    ok(o);
    const otherId = o.stdout.trim();
    const r = await dev.run(['forget', '--keep-last', '1']);
    ok(r);
    expect(r.stderr).toContain(`deleted snapshot ${ids[0]!.slice(0, 8)}`);
    expect(r.stderr.match(/deleted snapshot /g)).toHaveLength(1);
    const left = parseSnapshots(await dev.run(['snapshots', '--json'])).map((s) => s.id).sort();
    expect(left).toEqual([ids[1]!, otherId].sort());
    expect(await objects(rt, ACCOUNT, 'snapshots')).toEqual(left);
    const again = await dev.run(['forget', '--keep-last', '1']);
    ok(again);
    expect(again.stderr).not.toMatch(/deleted snapshot/);
  });

  it('prune names what it deletes (--json: the result, and progress in packs as JSON lines), and the repository still restores', async () => {
    const before = await objects(rt, ACCOUNT, 'data');
    const r = await dev.run(['prune', '--json']);
    ok(r);
    const after = await objects(rt, ACCOUNT, 'data');
    const gone = before.filter((id) => !after.includes(id));
    expect(gone.length).toBeGreaterThan(0);
    for (const id of gone) expect(r.stderr).toContain(`data/${id.slice(0, 16)}`);
    const result = JSON.parse(r.stdout) as { deletedPacks: number; dryRun: boolean };
    expect(result).toMatchObject({ deletedPacks: gone.length, dryRun: false });
    const lines = progressLines(r.stderr);
    expect(lines[lines.length - 1]).toMatchObject({ command: 'prune', unit: 'packs', done: gone.length, total: gone.length });
    const target = join(work, 'after-prune');
    ok(await dev.run(['restore', ids[1]!, target]));
    expect(describe(join(target, 'src'))).toEqual(describe(src));
    rmSync(target, { recursive: true });
  });

  it('check and check --read-data pass; one flipped byte in a pack is found by --read-data (exit 5)', async () => {
    ok(await dev.run(['check']));
    const clean = await dev.run(['check', '--read-data']);
    ok(clean);
    // progress counts packs as packs (not as bytes), rates rounded
    expect(clean.stderr).toMatch(/^check --read-data: 100% \((\d+) packs of \1 packs, \d+ packs\/s\)$/m);
    expect(clean.stderr).not.toMatch(/\d\.\d{3,}/);
    const packs = await objects(rt, ACCOUNT, 'data');
    const file = join(repoDir(rt, ACCOUNT), 'data', packs[0]!);
    const bytes = await readFile(file);
    const i = Math.floor(bytes.length / 2);
    bytes[i] = bytes[i]! ^ 0x01;
    await writeFile(file, bytes);
    try {
      const r = await dev.run(['check', '--read-data']);
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toMatch(/error: .*data\/|error: .*pack/);
    } finally {
      bytes[i] = bytes[i]! ^ 0x01;
      await writeFile(file, bytes);
    }
    ok(await dev.run(['check', '--read-data']));
  });

  it('a file it cannot read (as a user without root\'s file powers) exits 6, names it, and the snapshot is marked incomplete', async () => {
    const tree = join(work, 'unreadable');
    mkdirSync(tree);
    writeFileSync(join(tree, 'fine'), 'fine');
    writeFileSync(join(tree, 'locked'), 'no');
    chmodSync(join(tree, 'locked'), 0o000);
    chownSync(join(tree, 'locked'), 65534, 65534);
    const home = join(work, 'other-home');
    cpSync(dev.home, home, { recursive: true });
    // not `nobody`: it could not reach a checkout inside a private directory (WITHOUT_FILE_POWERS)
    const run = await bkvRaw(['backup', tree], { BKV_SERVER: rt.url, BKV_HOME: home, BKV_TOKEN: await rt.token(ACCOUNT) }, WITHOUT_FILE_POWERS);
    expect(run.code, run.stderr).toBe(6);
    expect(run.stderr).toContain(`warning: ${join(tree, 'locked')}`);
    const id = run.stdout.toString().trim();
    const s = parseSnapshots(await dev.run(['snapshots', '--json'])).find((x) => x.id === id)!;
    expect(s.incomplete).toBe(true);
    expect(s.skipped.map((x) => x.path)).toEqual([join(tree, 'locked')]);
    expect(existsSync(home)).toBe(true);
  });

  it('init --key on a fresh device of an account with a repository is refused and says what to do', async () => {
    const fresh = device(rt, ACCOUNT, await newDevice());
    const before = await objects(rt, ACCOUNT, 'config');
    const r = await fresh.run(['init', '--key']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/already has a repository/);
    expect(r.stderr).toMatch(/bkv restore --key/);
    expect(r.stdout).toBe('');
    expect(existsSync(join(fresh.home, 'key'))).toBe(false);
    expect(readdirSync(fresh.home).filter((n) => /key/.test(n))).toEqual([]);
    expect(await objects(rt, ACCOUNT, 'config')).toEqual(before);
  });

  it('restore with a wrong --key-file exits 3 and writes nothing', async () => {
    const other = await bkvRaw(['key', 'new'], {});
    expect(other.code).toBe(0);
    writeFileSync(join(work, 'wrong.txt'), other.stdout);
    const target = join(work, 'wrong-target');
    const r = await dev.run(['restore', 'latest', target, '--key-file', join(work, 'wrong.txt')]);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/another backup key/);
    expect(existsSync(target)).toBe(false);
    ok(await dev.run(['restore', ids[1]!, target, '--key-file', join(work, 'key.txt')]));
    expect(describe(join(target, 'src'))).toEqual(describe(src));
    rmSync(target, { recursive: true });
  });

  it('a server that hides the newest snapshot: restore latest exits 5 (rollback) and writes nothing, snapshots warns, --accept-rollback restores the older one', async () => {
    const roll = join(work, 'roll');
    mkdirSync(roll);
    writeFileSync(join(roll, 'v.txt'), 'version 1\n');
    const first = await dev.run(['backup', roll]);
    ok(first);
    writeFileSync(join(roll, 'v.txt'), 'version 2, newer\n');
    const second = await dev.run(['backup', roll]);
    ok(second);
    const newest = second.stdout.trim();
    ok(await dev.run(['snapshots'])); // this device has seen it
    const dir = join(repoDir(rt, ACCOUNT), 'snapshots');
    const hiddenDir = join(repoDir(rt, ACCOUNT), '..', 'hidden'); // the same file system as the store's
    mkdirSync(hiddenDir);
    const moved = readdirSync(dir).filter((n) => n.startsWith(newest));
    expect(moved.length).toBeGreaterThan(0);
    for (const n of moved) renameSync(join(dir, n), join(hiddenDir, n));
    try {
      const target = join(work, 'roll-target');
      const refused = await dev.run(['restore', 'latest', target, '--path', roll]);
      expect(refused.code, refused.stderr).toBe(5);
      expect(refused.stderr).toMatch(new RegExp(`rollback: the server no longer lists snapshot ${newest.slice(0, 8)}.*--accept-rollback`));
      expect(existsSync(target)).toBe(false);
      const listed = await dev.run(['snapshots']);
      ok(listed);
      expect(listed.stderr).toMatch(/WARNING: possible rollback/);
      ok(await dev.run(['restore', 'latest', target, '--path', roll, '--accept-rollback']));
      expect(readFileSync(join(target, 'roll', 'v.txt'), 'utf8')).toBe('version 1\n');
      rmSync(target, { recursive: true });
    } finally {
      for (const n of moved) renameSync(join(hiddenDir, n), join(dir, n));
    }
    const back = await dev.run(['snapshots']);
    ok(back);
    expect(back.stderr).not.toMatch(/rollback/);
  });

  it.for([
    ['an unknown snapshot id (restore)', ['restore', 'ffffffffff', 'T']],
    ['an unknown snapshot id (ls)', ['ls', 'deadbeef00']],
    ['an unknown snapshot id (dump)', ['dump', 'abcdabcd', 'src/x']],
    ['a bad snapshot id', ['restore', 'not-hex!', 'T']],
    ['a non-empty restore target', ['restore', 'latest', 'NONEMPTY']],
    ['forget with no rule', ['forget']],
    ['forget with a bad count', ['forget', '--keep-last', 'many']],
  ] as const)('%s exits 2 and changes nothing', async ([, args]) => {
    const nonEmpty = join(work, 'nonempty');
    mkdirSync(nonEmpty, { recursive: true });
    writeFileSync(join(nonEmpty, 'mine'), 'keep me');
    const state = async () => ({
      snapshots: await objects(rt, ACCOUNT, 'snapshots'), data: await objects(rt, ACCOUNT, 'data'), index: await objects(rt, ACCOUNT, 'index'),
      work: readdirSync(work).sort(), nonEmpty: describe(nonEmpty),
    });
    const before = await state();
    const argv = args.map((a) => (a === 'T' ? join(work, 'bad-target') : a === 'NONEMPTY' ? nonEmpty : a));
    const r = await dev.run(argv);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^bkv: /m);
    expect(await state()).toEqual(before);
  });
});
