// Archive safety and fidelity (client/archive.ts): a directory round-trips through the tar stream whose length
// is known in advance; hostile archives (absolute paths, `..`, symlinks out, hard links, devices, writing
// through a symlink) are refused as a whole; on any failure the target is untouched and no temp dir remains.

import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile, appendFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Header } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientError, type ClientErrorKind } from '../../client/errors.js';
import { checkEntry, extractArchive, packDirectory } from '../../client/archive.js';

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'bkv-archive-'));
});
afterEach(async () => rm(base, { recursive: true, force: true }));

/** path → content (files), 'dir' (directories) or { link } (symlinks); sorted walk of a tree. */
async function snapshot(root: string, rel = ''): Promise<Record<string, string | { link: string } | { mode: number; data: string }>> {
  const out: Record<string, string | { link: string } | { mode: number; data: string }> = {};
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(root, path));
    if (st.isSymbolicLink()) out[path] = { link: await readlink(join(root, path)) };
    else if (st.isDirectory()) {
      out[path] = 'dir';
      Object.assign(out, await snapshot(root, path));
    } else out[path] = { mode: st.mode & 0o777, data: (await readFile(join(root, path))).toString('base64') };
  }
  return out;
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

interface Spec {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  linkpath?: string;
  data?: string;
}

/** A raw tar built entry by entry with tar's Header, so tests can write what no honest packer would. */
function rawTar(specs: Spec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const s of specs) {
    const data = Buffer.from(s.data ?? '');
    const type = s.type ?? 'File';
    const h = new Header({ path: s.path, type, mode: type === 'Directory' ? 0o755 : 0o644, size: type === 'File' ? data.length : 0, mtime: new Date(0), linkpath: s.linkpath });
    h.encode();
    blocks.push(h.block!);
    if (type === 'File') blocks.push(data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

const feedBytes = (bytes: Buffer) => (sink: Writable) => pipeline(Readable.from([bytes]), sink);

async function refusal<K extends ClientErrorKind>(p: Promise<unknown>, kind: K): Promise<ClientError<K>> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ClientError);
  expect((e as ClientError).kind).toBe(kind);
  return e as ClientError<K>;
}

async function makeTree(root: string): Promise<void> {
  await mkdir(join(root, 'docs/deep/er'), { recursive: true });
  await mkdir(join(root, 'empty-dir'));
  await writeFile(join(root, 'docs/readme.txt'), 'hello\n');
  await writeFile(join(root, 'empty.bin'), '');
  await writeFile(join(root, 'exact512'), Buffer.alloc(512, 7));
  await writeFile(join(root, 'docs/deep/er/big.bin'), Buffer.alloc(3 * 1024 * 1024 + 17, 0xab));
  await writeFile(join(root, `${'n'.repeat(150)}.txt`), 'long name');
  await writeFile(join(root, 'ünïcødé ✓.txt'), 'utf8');
  await writeFile(join(root, 'script.sh'), '#!/bin/sh\n');
  await chmod(join(root, 'script.sh'), 0o755);
  await symlink('../readme.txt', join(root, 'docs/deep/up-link'));
  await symlink('nowhere', join(root, 'dangling'));
}

describe('pack → extract round trip', () => {
  it('restores the tree byte for byte, and the stream has exactly the announced length', async () => {
    const src = join(base, 'src');
    await makeTree(src);
    const packed = await packDirectory(src);
    expect(packed.stats).toMatchObject({ files: 7, directories: 4, symlinks: 2 });
    const bytes = await collect(packed.stream());
    expect(bytes.length).toBe(packed.size);
    const out = join(base, 'out');
    const result = await extractArchive(out, feedBytes(bytes));
    expect(result.files).toBe(7);
    expect(await snapshot(out)).toEqual(await snapshot(src));
    expect((await readdir(base)).sort()).toEqual(['out', 'src']);
  });

  it('keeps the announced length when a file grows or shrinks after the scan, with a warning', async () => {
    const src = join(base, 'src');
    await mkdir(src);
    await writeFile(join(src, 'grows'), 'abc');
    await writeFile(join(src, 'shrinks'), 'abcdef');
    const packed = await packDirectory(src);
    await appendFile(join(src, 'grows'), 'more and more');
    await writeFile(join(src, 'shrinks'), 'ab');
    const warnings: string[] = [];
    const bytes = await collect(packed.stream((m) => warnings.push(m)));
    expect(bytes.length).toBe(packed.size);
    expect(warnings.join('\n')).toMatch(/grows changed/);
    expect(warnings.join('\n')).toMatch(/shrinks shrank/);
  });

  it('refuses a path that is not a directory', async () => {
    await writeFile(join(base, 'file'), 'x');
    expect((await refusal(packDirectory(join(base, 'file')), 'usage')).message).toBe(`not a directory: ${join(base, 'file')}`);
    expect((await refusal(packDirectory(join(base, 'missing')), 'usage')).details).toEqual({ path: join(base, 'missing'), errno: 'ENOENT' });
  });
});

describe('hostile archives are refused and leave nothing behind', () => {
  const cases: [string, Spec[], RegExp][] = [
    ['absolute path', [{ path: '/tmp/bkv-evil-abs', data: 'x' }], /is absolute/],
    ['.. at the start', [{ path: '../evil', data: 'x' }], /contains \.\./],
    ['.. in the middle', [{ path: 'a/../../evil', data: 'x' }], /contains \.\./],
    ['absolute symlink', [{ path: 'l', type: 'SymbolicLink', linkpath: '/etc' }], /absolute path/],
    ['symlink out by ..', [{ path: 'a/', type: 'Directory' }, { path: 'a/l', type: 'SymbolicLink', linkpath: '../../outside' }], /outside the target/],
    ['hard link', [{ path: 'f', data: 'x' }, { path: 'h', type: 'Link', linkpath: 'f' }], /unsupported type Link/],
    ['character device', [{ path: 'dev', type: 'CharacterDevice' }], /unsupported type CharacterDevice/],
    ['fifo', [{ path: 'p', type: 'FIFO' }], /unsupported type FIFO/],
    ['a file replacing the target', [{ path: '.', type: 'File', data: '' }], /replace the target/],
    ['a symlink chain that resolves out', [
      { path: 'x/', type: 'Directory' }, { path: 'y/', type: 'Directory' },
      { path: 'x/a', type: 'SymbolicLink', linkpath: '../y' },
      { path: 'd', type: 'SymbolicLink', linkpath: 'x/a/../..' },
    ], /symlink "d" points outside the target/],
    ['writing through a symlink', [
      { path: 'sub/', type: 'Directory' }, { path: 'l', type: 'SymbolicLink', linkpath: 'sub' }, { path: 'l/f', data: 'x' },
    ], /"l" is used as a directory but is not one/],
    ['a path written twice', [{ path: 'twice', data: 'a' }, { path: 'twice', data: 'b' }], /"twice" appears twice/],
    ['a file where a directory was', [{ path: 'd/', type: 'Directory' }, { path: 'd', data: 'x' }], /"d" appears twice/],
  ];

  it.for(cases)('%s', async ([, specs, message]) => {
    const target = join(base, 'target');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'precious');
    const before = await snapshot(target);
    const e = await refusal(extractArchive(target, feedBytes(rawTar([{ path: 'ok.txt', data: 'fine' }, ...specs])), { force: true }), 'unsafe-archive');
    expect(e.message).toMatch(message);
    expect(await snapshot(target)).toEqual(before);
    expect(await readdir(base)).toEqual(['target']);
    expect(existsSync('/tmp/bkv-evil-abs')).toBe(false);
    expect(existsSync(join(base, 'evil'))).toBe(false);
  });

  it('checkEntry accepts ordinary entries', () => {
    expect(checkEntry('a/b/c.txt', 'File', undefined)).toBeUndefined();
    expect(checkEntry('a/', 'Directory', undefined)).toBeUndefined();
    expect(checkEntry('a/l', 'SymbolicLink', '../b')).toBeUndefined();
    expect(checkEntry('a/l', 'SymbolicLink', '../../b')).toMatch(/outside/);
  });
});

describe('the target is untouched on failure', () => {
  it('a stream that fails after some entries leaves the old directory as it was', async () => {
    const target = join(base, 'target');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'precious');
    const good = rawTar([{ path: 'new.txt', data: 'new' }]).subarray(0, 1024);
    const feed = (sink: Writable) => pipeline(Readable.from((async function* () {
      yield good;
      throw new ClientError('damaged', 'payload does not authenticate', { check: 'payload' });
    })()), sink);
    const e = await refusal(extractArchive(target, feed, { force: true }), 'damaged');
    expect(e.message).toBe('payload does not authenticate');
    expect(await snapshot(target)).toEqual({ 'keep.txt': { mode: 0o644, data: Buffer.from('precious').toString('base64') } });
    expect(await readdir(base)).toEqual(['target']);
  });

  it('an archive cut short (no end blocks, or mid-file) is refused', async () => {
    const tar = rawTar([{ path: 'a.txt', data: 'a'.repeat(2000) }]);
    for (const cut of [tar.subarray(0, 1024), tar.subarray(0, tar.length - 1024)]) {
      const target = join(base, 'target');
      const e = await refusal(extractArchive(target, feedBytes(cut)), 'unsafe-archive');
      expect(e.message).toMatch(/unsafe or damaged archive/);
      expect(existsSync(target)).toBe(false);
      expect(await readdir(base)).toEqual([]);
    }
  });

  it('a missing target stays missing', async () => {
    const target = join(base, 'target');
    const feed = (sink: Writable) => pipeline(Readable.from((async function* () {
      yield rawTar([{ path: 'a.txt', data: 'a' }]).subarray(0, 1024);
      throw new Error('connection reset');
    })()), sink);
    await expect(extractArchive(target, feed)).rejects.toThrow('connection reset');
    expect(existsSync(target)).toBe(false);
    expect(await readdir(base)).toEqual([]);
  });

  it('a non-empty target without --force is refused before anything is read', async () => {
    const target = join(base, 'target');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'x');
    let fed = false;
    const e = await refusal(extractArchive(target, async () => {
      fed = true;
    }), 'usage');
    expect(e.message).toMatch(/is not empty \(use --force/);
    expect(fed).toBe(false);
  });

  it('with --force a verified restore replaces the old contents', async () => {
    const target = join(base, 'target');
    await mkdir(target);
    await writeFile(join(target, 'old.txt'), 'old');
    await extractArchive(target, feedBytes(rawTar([{ path: 'new.txt', data: 'new' }])), { force: true });
    expect(await readdir(target)).toEqual(['new.txt']);
    expect(await readdir(base)).toEqual(['target']);
  });
});
