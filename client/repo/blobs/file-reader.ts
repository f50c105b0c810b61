// Reading files into blobs: the one owner of file bytes between the walk and the blob-writer session. Small files
// (up to 1 MiB) are read back to back into batches of up to 4 MiB or 256 files, one buffer each; large files and
// streams in windows of the largest chunk a repository may name (the bytes after the last cut carried over); a read
// budget bounds the bytes read but not yet packed (16 MiB across all files). Each batch or window is chunked on a
// blob worker (chunk → HMAC blob id → compression when it pays) and its segments handed to a narrow sink (the
// BlobSink port, ports.ts; packs/blob-writer.ts implements it), never to the repository. A file that cannot be
// opened or read is a warning and comes back undefined; one that grows or shrinks while read is reported and what
// was read is stored. It is restic's internal/archiver FileSaver (read, chunk, hand each chunk to the BlobSaver),
// with batching of small files that restic does not have.

import { closeSync, fstatSync, constants as fsc, openSync, readSync } from 'node:fs';
import { copyWithinInto } from './arena.js';
import { MAX_CHUNK_LIMIT } from './chunker.js';
import type { BlobSink, Chunking } from '../ports.js';

/** A file's content: its blob ids in order and the bytes read. */
export interface Content {
  content: string[];
  size: number;
}

/** What the reader reports to its owner (the backup). */
export interface FileReaderEvents {
  /** An entry skipped, or one that changed while it was read. */
  warn(path: string, message: string, kind: 'skipped' | 'changed'): void;
  /** Bytes of file content chunked. */
  read(bytes: number): void;
  progress(): void;
  /** Throws when the run has failed or was aborted. */
  check(): void;
  /** Test hook: called before a file is opened for reading. */
  beforeRead?: (path: string) => void;
}

const SMALL_FILE = 1024 * 1024;
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_FILES = 256;
/** A batch's buffer: its files and a byte each to see one grow. */
const BATCH_CAPACITY = BATCH_BYTES + SMALL_FILE + 1;
/** Bytes of a large file read at once: a window holds any chunk a repository may name (MAX_CHUNK_LIMIT). */
const WINDOW = MAX_CHUNK_LIMIT;
/** File bytes read but not yet packed, across all files. */
const READ_BUDGET = 16 * 1024 * 1024;

class Semaphore {
  private waiting: (() => void)[] = [];
  private free: number;
  constructor(private readonly max: number) {
    this.free = max;
  }
  async acquire(want: number): Promise<number> {
    const n = Math.min(want, this.max);
    while (this.free < n) await new Promise<void>((r) => this.waiting.push(r));
    this.free -= n;
    return n;
  }
  release(n: number): void {
    this.free += n;
    const w = this.waiting;
    this.waiting = [];
    for (const r of w) r();
  }
}

export class FileReader {
  private readonly budget = new Semaphore(READ_BUDGET);
  private batch: { length: number; files: { path: string; size: number; done: (c: Content | undefined) => void; fail: (e: unknown) => void }[] } | undefined;
  private readonly reads = new Set<Promise<void>>();

  constructor(private readonly chunking: Chunking, private readonly sink: BlobSink, private readonly events: FileReaderEvents) {}

  /** Waits for every batch read so far. */
  async settle(): Promise<void> {
    while (this.reads.size > 0) await Promise.allSettled([...this.reads]);
  }

  /** Opens a file for reading without following a symlink or blocking on a FIFO put in its place. */
  private open(path: string): number | undefined {
    try {
      this.events.beforeRead?.(path);
      const fd = openSync(path, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
      if (!fstatSync(fd).isFile()) {
        closeSync(fd);
        this.events.warn(path, 'is no longer a regular file', 'skipped');
        return undefined;
      }
      return fd;
    } catch (e) {
      this.events.warn(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
      return undefined;
    }
  }

  /** The content of a file of `size` bytes (undefined when it is skipped): small files batched, large ones windowed. */
  readFile(path: string, size: number): Promise<Content | undefined> {
    if (size <= SMALL_FILE) return this.readSmall(path, size);
    return this.readLarge(path, size);
  }

  private readSmall(path: string, size: number): Promise<Content | undefined> {
    return new Promise((done, fail) => {
      if (this.batch !== undefined && (this.batch.length + size + 1 > BATCH_CAPACITY || this.batch.files.length >= BATCH_FILES)) this.flush();
      this.batch ??= { length: 0, files: [] };
      this.batch.files.push({ path, size, done, fail });
      this.batch.length += size + 1; // room for one byte of growth detection
    });
  }

  /** Reads the queued small files into one buffer and chunks them on a worker (call when the walk leaves a directory). */
  flush(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.batch = undefined;
    const work = (async () => {
      // the memory is taken once the read budget allows: batches queued behind it hold none
      const held = await this.budget.acquire(BATCH_CAPACITY);
      const slab = this.chunking.pool.takeSlab(BATCH_CAPACITY);
      const buf = slab.bytes;
      try {
        this.events.check();
        const segments: [number, number, boolean][] = [];
        const live: typeof batch.files = [];
        let at = 0;
        for (const f of batch.files) {
          const fd = this.open(f.path);
          if (fd === undefined) {
            f.done(undefined);
            continue;
          }
          let n = 0;
          try {
            n = readAll(fd, buf, at, f.size + 1);
            if (n !== f.size) this.events.warn(f.path, `changed while reading (${n > f.size ? 'grew' : 'shrank'})`, 'changed');
            n = Math.min(n, f.size);
          } catch (e) {
            closeSync(fd);
            this.events.warn(f.path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
            f.done(undefined);
            continue;
          }
          closeSync(fd);
          segments.push([at, n, true]);
          live.push(f);
          at += n;
        }
        const { segments: outs } = await this.chunking.pool.chunk({
          chunker: this.chunking.keys.chunker, hmacKey: this.chunking.keys.blobIdKey, compress: true, slab: slab.id, length: at, segments,
        });
        for (let i = 0; i < live.length; i++) {
          const content = await this.sink.saveSegment(outs[i]!, buf);
          this.events.read(segments[i]![1]);
          live[i]!.done({ content, size: segments[i]![1] });
        }
        this.events.progress();
      } catch (e) {
        for (const f of batch.files) f.fail(e);
      } finally {
        this.chunking.pool.giveSlab(slab);
        this.budget.release(held);
      }
    })();
    this.reads.add(work);
    void work.then(() => this.reads.delete(work));
  }

  private async readLarge(path: string, size: number): Promise<Content | undefined> {
    return this.readFd(path, size, () => this.open(path));
  }

  /**
   * Reads a file (size known: it reports growth and shrinking) or a stream (size undefined: until EOF) in windows
   * and chunks them on a worker.
   */
  async readFd(path: string, size: number | undefined, open: () => number | undefined, close = true): Promise<Content | undefined> {
    const held = await this.budget.acquire(WINDOW);
    try {
      this.events.check();
      const fd = open();
      if (fd === undefined) return undefined;
      const slab = this.chunking.pool.takeSlab(WINDOW);
      const buf = slab.bytes;
      const content: string[] = [];
      let total = 0;
      let carry = 0;
      try {
        for (;;) {
          this.events.check();
          const want = size === undefined ? WINDOW - carry : Math.min(WINDOW - carry, size - total + 1);
          let n: number;
          try {
            n = want > 0 ? readAll(fd, buf, carry, want) : 0;
          } catch (e) {
            this.events.warn(path, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, 'skipped');
            return undefined;
          }
          if (size !== undefined && total + n > size) {
            this.events.warn(path, 'changed while reading (grew)', 'changed');
            n = size - total;
          }
          total += n;
          const eof = (size !== undefined && total >= size) || n < want;
          if (eof && size !== undefined && total < size) this.events.warn(path, 'changed while reading (shrank)', 'changed');
          const length = carry + n;
          const r = await this.chunking.pool.chunk({
            chunker: this.chunking.keys.chunker, hmacKey: this.chunking.keys.blobIdKey, compress: true, slab: slab.id, length, segments: [[0, length, eof]],
          });
          const seg = r.segments[0]!;
          content.push(...(await this.sink.saveSegment(seg, buf)));
          this.events.read(n);
          this.events.progress();
          if (eof) break;
          carry = length - seg.consumed;
          copyWithinInto(buf, 0, seg.consumed, length);
        }
      } finally {
        if (close) closeSync(fd);
        this.chunking.pool.giveSlab(slab);
      }
      return { content, size: total };
    } finally {
      this.budget.release(held);
    }
  }
}

/** Reads up to `length` bytes into `buf` at `at`; returns how many (fewer at the end of the file). */
function readAll(fd: number, buf: Buffer, at: number, length: number): number {
  let n = 0;
  while (n < length) {
    let r: number;
    try {
      r = readSync(fd, buf, at + n, length - n, null);
    } catch (e) {
      // a pipe someone made non-blocking (standard input of a shell pipeline): wait for the writer
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(PAUSE, 0, 0, 5);
      continue;
    }
    if (r === 0) break;
    n += r;
  }
  return n;
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
