// BackupsClient against the local runtime (real handlers, s3rver, presigned URLs, the node:http transport): a
// multipart upload with injected part failures still commits the exact bytes; list/get/download/delete; and the
// whole client pipeline (directory → tar → age → parts → download → age → directory) round-trips in process.

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream';
import { pipeline as pipelineAsync } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BkvError } from '../../protocol/errors.js';
import { BackupsClient } from '../../client/backups-client.js';
import { httpTransport, type BlobTransport } from '../../client/blob-transport.js';
import { backupEncryptedSize, createBackupDecryptStream, createBackupEncryptStream } from '../../client/backup-crypto.js';
import { newBackupKey } from '../../client/backup-key.js';
import { extractArchive, packDirectory } from '../../client/archive.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let work: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  work = await mkdtemp(join(tmpdir(), 'bkv-bc-'));
});
afterAll(async () => {
  await rt.stop();
  await rm(work, { recursive: true, force: true });
});

async function* slices(bytes: Buffer, size = 1 << 20): AsyncGenerator<Buffer> {
  for (let off = 0; off < bytes.length; off += size) yield bytes.subarray(off, off + size);
}

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('BackupsClient over the local runtime', () => {
  it('uploads in parts despite failing PUTs, then lists, downloads and deletes', async () => {
    const puts = new Map<string, number>();
    const http = httpTransport();
    const flaky: BlobTransport = {
      ...http,
      put: async (url, body, signal) => {
        const part = new URL(url).searchParams.get('partNumber') ?? '1';
        const n = (puts.get(part) ?? 0) + 1;
        puts.set(part, n);
        if (part === '2' && n === 1) throw new Error('socket hang up');
        if (part === '2' && n === 2) return { status: 503, etag: null };
        return http.put(url, body, signal);
      },
    };
    const client = new BackupsClient({ server: rt.url, token: await rt.token('pat'), transport: flaky, retryDelayMs: 1 });
    const data = randomBytes(20 * 1024 * 1024 + 123); // 3 parts of 8 MiB
    const info = await client.upload(slices(data), data.length);
    expect(info.size).toBe(data.length);
    expect(puts.get('2')).toBe(3);
    expect(puts.size).toBe(3);

    expect(await client.list()).toEqual([info]);
    const { info: got, stream } = await client.download(info.backupId);
    expect(got).toMatchObject(info);
    expect((await readAll(stream)).equals(data)).toBe(true);

    await client.delete(info.backupId);
    expect(await client.list()).toEqual([]);
    const e = await client.get(info.backupId).then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(BkvError);
    expect((e as BkvError).code).toBe('not-found');
  });

  it('a declared size that the stream does not match is never committed', async () => {
    const client = new BackupsClient({ server: rt.url, token: await rt.token('quinn') });
    await expect(client.upload(slices(randomBytes(1000)), 2000)).rejects.toThrow('backup stream ended after 1000 of 2000 bytes');
    expect(await client.list()).toEqual([]);
  });

  it('directory → tar → age → upload → download → age → directory, byte for byte', async () => {
    const src = join(work, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'sub/one.bin'), randomBytes(10 * 1024 * 1024 + 1));
    await writeFile(join(src, 'two.txt'), 'two');
    const key = newBackupKey();
    const packed = await packDirectory(src);
    const size = backupEncryptedSize(packed.size);
    const client = new BackupsClient({ server: rt.url, token: await rt.token('rita') });
    const encrypted = pipeline(packed.stream(), createBackupEncryptStream(key), () => {});
    const info = await client.upload(encrypted, size);
    expect(info.size).toBe(size);

    const out = join(work, 'out');
    const { stream } = await client.download();
    await extractArchive(out, (sink) => pipelineAsync(stream, createBackupDecryptStream(key), sink));
    expect((await readFile(join(out, 'sub/one.bin'))).equals(await readFile(join(src, 'sub/one.bin')))).toBe(true);
    expect(await readFile(join(out, 'two.txt'), 'utf8')).toBe('two');
  });
});
