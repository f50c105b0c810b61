// A restore that cannot write (the disk fills up, EIO, …) fails with a 'file-system' ClientError naming the path
// and the errno, not as an unsafe or damaged archive, and leaves the target as it was. The disk is made to fill
// up by a mocked FileHandle.write (this machine's tests run as root, where permissions cannot make writes fail).

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Header } from 'tar';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { extractArchive } from '../../client/archive.js';
import { ClientError } from '../../client/errors.js';
import { exitCodeFor } from '../../client/cli/exit.js';

const full = vi.hoisted(() => ({ name: undefined as string | undefined }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: async (...args: Parameters<typeof real.open>) => {
      const fh = await real.open(...args);
      if (full.name === undefined || !String(args[0]).endsWith(full.name)) return fh;
      const write = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
      return new Proxy(fh, { get: (t, p) => (p === 'write' ? write : Reflect.get(t, p, t)) });
    },
  };
});

function tarOf(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, data] of Object.entries(files)) {
    const h = new Header({ path, mode: 0o644, size: data.length, type: 'File', mtime: new Date(0) });
    h.encode();
    blocks.push(h.block!, Buffer.from(data), Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'bkv-fs-errors-'));
});
afterEach(async () => {
  full.name = undefined;
  await rm(base, { recursive: true, force: true });
});

describe('a restore that cannot write', () => {
  it('is a file-system error naming the path (exit 1), and the target is untouched', async () => {
    const target = join(base, 'target');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'precious');
    full.name = 'big.bin';
    const feed = (sink: Writable) => pipeline(Readable.from([tarOf({ 'ok.txt': 'fine', 'big.bin': 'x'.repeat(5000) })]), sink);
    const e = await extractArchive(target, feed, { force: true }).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ClientError);
    expect(e).toMatchObject({ kind: 'file-system', message: `cannot write ${join(target, 'big.bin')}: enospc` });
    expect((e as ClientError<'file-system'>).details).toEqual({ path: join(target, 'big.bin'), errno: 'ENOSPC', syscall: 'write' });
    expect(exitCodeFor(e)).toBe(1);
    expect(await readdir(target)).toEqual(['keep.txt']);
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('precious');
    expect(await readdir(base)).toEqual(['target']);
  });

  it('the mock is what fails: without it the same archive restores', async () => {
    const target = join(base, 'target');
    const feed = (sink: Writable) => pipeline(Readable.from([tarOf({ 'ok.txt': 'fine', 'big.bin': 'x'.repeat(5000) })]), sink);
    await expect(extractArchive(target, feed)).resolves.toEqual({ files: 2, bytes: 5004 });
  });
});
