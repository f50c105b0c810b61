// Reading files into blobs (client/repo/blobs/file-reader.ts) against a sink that is not a repository: the chunks it
// hands over put every file back together byte for byte, small files batched and large ones windowed, and a file
// that cannot be opened or that grew while read is reported, not thrown.

import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SegmentOut } from '../../../../client/repo/blobs/blob-ops.js';
import { FileReader } from '../../../../client/repo/blobs/file-reader.js';
import type { BlobSink } from '../../../../client/repo/ports.js';
import { freshRepo, tempDir } from '../engine-helpers.js';

class RecordingSink implements BlobSink {
  readonly blobs = new Map<string, Buffer>();
  segments = 0;
  async saveSegment(seg: SegmentOut, buf: Uint8Array): Promise<string[]> {
    this.segments++;
    for (const c of seg.chunks) this.blobs.set(c.id, Buffer.from(buf.subarray(c.o, c.o + c.l)));
    return seg.chunks.map((c) => c.id);
  }
  has(id: string): boolean {
    return this.blobs.has(id);
  }
}

describe('file reader', () => {
  it('hands a sink the chunks of small and large files; their ids in order give back each file', async () => {
    const { repo } = await freshRepo();
    const dir = tempDir();
    const files = [randomBytes(10), randomBytes(700_000), Buffer.alloc(0), randomBytes(9 * 1024 * 1024 + 3)];
    files.forEach((b, i) => writeFileSync(join(dir, `f${i}`), b));
    const sink = new RecordingSink();
    const warnings: string[] = [];
    let read = 0;
    const reader = new FileReader(repo, sink, { warn: (p, m) => warnings.push(`${p}: ${m}`), read: (n) => void (read += n), progress: () => undefined, check: () => undefined });
    const pending = files.map((b, i) => reader.readFile(join(dir, `f${i}`), b.length));
    reader.flush();
    const contents = await Promise.all(pending);
    await reader.settle();
    contents.forEach((c, i) => {
      expect(c!.size).toBe(files[i]!.length);
      expect(Buffer.concat(c!.content.map((id) => sink.blobs.get(id)!)).equals(files[i]!)).toBe(true);
    });
    expect(read).toBe(files.reduce((n, b) => n + b.length, 0));
    expect(warnings).toEqual([]);
    // the three small files went in one batch (one worker task of three segments); the large one in windows
    expect(sink.segments).toBeGreaterThanOrEqual(3 + 2);
  });

  it('a file it cannot open, or one that grew since its size was taken, is a warning; what was read is kept', async () => {
    const { repo } = await freshRepo();
    const dir = tempDir();
    writeFileSync(join(dir, 'locked'), 'secret');
    chmodSync(join(dir, 'locked'), 0);
    writeFileSync(join(dir, 'grew'), 'abcdef');
    const sink = new RecordingSink();
    const warnings: { path: string; kind: string }[] = [];
    const reader = new FileReader(repo, sink, { warn: (path, _m, kind) => warnings.push({ path, kind }), read: () => undefined, progress: () => undefined, check: () => undefined });
    const locked = reader.readFile(join(dir, 'locked'), 6);
    const grew = reader.readFile(join(dir, 'grew'), 3);
    reader.flush();
    const isRoot = process.getuid?.() === 0;
    expect(await locked).toEqual(isRoot ? expect.objectContaining({ size: 6 }) : undefined);
    const g = await grew;
    expect(g!.size).toBe(3);
    expect(Buffer.concat(g!.content.map((id) => sink.blobs.get(id)!)).toString()).toBe('abc');
    expect(warnings).toContainEqual({ path: join(dir, 'grew'), kind: 'changed' });
    if (!isRoot) expect(warnings).toContainEqual({ path: join(dir, 'locked'), kind: 'skipped' });
  });
});
