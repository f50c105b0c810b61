// The independent restorer (tools/bkv-restore.py: Python stdlib + the `age` CLI, written from docs/repository.md)
// restores a snapshot made by the real `bkv backup` byte-identical to the source and to `bkv restore`: contents,
// modes (incl. setuid and a 1777 directory), symlinks of every kind, hard links, µs mtimes, an empty file, a
// multi-chunk 20 MiB file and compressible text. Only the repository's objects (the runtime's object directory)
// and the age identity of the 64-digit key are given to it.

import { execFileSync, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, describe as suite } from 'vitest';
import { newDevice, removeDevices } from '../helpers/cli.js';
import { aclOf, allocated, makeMetadataTree, xattrsOf } from '../helpers/metadata-tree.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { bkvRaw, describe, device, makeTree, objects, repoDir, scratch, type Device } from '../cli/snapshot-trees.js';

let rt: TestRuntime;
let dev: Device;
let work: string;
let src: string;
const ACCOUNT = 'ida';

function python(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn('python3', ['tools/bkv-restore.py', ...args], { cwd: join(import.meta.dirname, '../..'), env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((res, rej) => {
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  rt = await startTestRuntime();
  work = scratch('bkv-interop-');
  src = join(work, 'src');
  mkdirSync(src);
  makeTree(src, { big: 20 * 1024 * 1024 });
  dev = device(rt, ACCOUNT, await newDevice());
});

afterAll(async () => {
  await removeDevices();
  rmSync(work, { recursive: true, force: true });
  await rt?.stop();
});

suite('tools/bkv-restore.py against the real bkv backup', () => {
  it('restores latest byte-identical to the source and to bkv restore, with only age and the identity', async () => {
    const init = await dev.run(['init', '--key']);
    expect(init.code, init.stderr).toBe(0);
    const b = await dev.run(['backup', src]);
    expect(b.code, b.stderr).toBe(0);
    const id = b.stdout.trim();
    expect(await objects(rt, ACCOUNT, 'snapshots')).toEqual([id]);

    const ident = await bkvRaw(['key', 'age-identity'], {}, undefined, init.stdout);
    expect(ident.code, ident.stderr).toBe(0);
    expect(ident.stdout.toString()).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+\n$/);
    const identity = join(work, 'identity.txt');
    writeFileSync(identity, ident.stdout, { mode: 0o600 });

    const list = await python(['--identity', identity, '--repo', repoDir(rt, ACCOUNT), 'snapshots']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(id.slice(0, 8));

    const out = join(work, 'py-out');
    const py = await python(['--identity', identity, '--repo', repoDir(rt, ACCOUNT), 'restore', 'latest', out]);
    expect(py.code, py.stderr).toBe(0);
    const viaBkv = join(work, 'bkv-out');
    const r = await dev.run(['restore', 'latest', viaBkv]);
    expect(r.code, r.stderr).toBe(0);

    expect(readdirSync(out)).toEqual(['src']);
    const fromPy = describe(join(out, 'src'));
    const want = describe(src);
    expect(fromPy).toEqual(want);
    expect(describe(join(viaBkv, 'src'))).toEqual(fromPy);
    expect(fromPy['tool']!.mode! & 0o4000).toBe(0o4000);
    expect(fromPy['shared']!.mode! & 0o1000).toBe(0o1000);
    expect(fromPy['big.bin']!.sha).toBe(want['big.bin']!.sha);
    expect(fromPy['docs/deep/hard-a2']!.link).toBe('docs/a.txt');
    expect(fromPy['x']!.mtimeUs).toBe('1600000001000001');
  });

  it('keeps xattrs, holes, FIFOs, device nodes (as root) and nanosecond mtimes, as bkv restore keeps them', async () => {
    const root = makeMetadataTree(work);
    execFileSync('touch', ['-h', '-d', '@1600000001.123456789', join(root, 'colored')]);
    const b = await dev.run(['backup', root]);
    expect(b.code, b.stderr).toBe(0);
    const key = await dev.run(['key', 'show']);
    const ident = await bkvRaw(['key', 'age-identity'], {}, undefined, key.stdout);
    const identity = join(work, 'identity-meta.txt');
    writeFileSync(identity, ident.stdout, { mode: 0o600 });
    const out = join(work, 'py-meta');
    const py = await python(['--identity', identity, '--repo', repoDir(rt, ACCOUNT), 'restore', 'latest', out]);
    expect(py.code, py.stderr).toBe(0);
    const viaBkv = join(work, 'bkv-meta');
    const r = await dev.run(['restore', 'latest', viaBkv, '--path', root]);
    expect(r.code, r.stderr).toBe(0);
    for (const back of [join(out, 'meta'), join(viaBkv, 'meta')]) {
      for (const p of ['colored', 'dir']) expect(xattrsOf(join(back, p))).toBe(xattrsOf(join(root, p)));
      if (process.getuid?.() === 0) {
        for (const p of ['shared', 'dir']) expect(aclOf(join(back, p))).toBe(aclOf(join(root, p)));
      }
      for (const p of ['sparse', 'tail-hole']) {
        expect(lstatSync(join(back, p)).size).toBe(lstatSync(join(root, p)).size);
        expect(allocated(join(back, p))).toBeLessThan(1024 * 1024);
      }
      expect(lstatSync(join(back, 'fifo')).isFIFO()).toBe(true);
      if (process.getuid?.() === 0) expect(lstatSync(join(back, 'null-device')).rdev).toBe(lstatSync(join(root, 'null-device')).rdev);
    }
    // the snapshot holds nanoseconds: the restorer sets them; bkv restore to the microsecond (node:fs takes a double)
    const ns = (path: string) => lstatSync(path, { bigint: true }).mtimeNs;
    expect(ns(join(out, 'meta/colored'))).toBe(1600000001123456789n);
    expect(ns(join(viaBkv, 'meta/colored')) / 1000n).toBe(1600000001123456n);
  });
});
