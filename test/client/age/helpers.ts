// Test helpers for the age streams: run a transform over bytes fed in pieces, and collect everything it
// released plus the error it ended with (a stream that ends cleanly has error undefined).

import { createHash } from 'node:crypto';
import type { Transform } from 'node:stream';

export interface Outcome {
  output: Buffer;
  error: unknown;
}

function* pieces(bytes: Uint8Array, sizes: readonly number[]): Generator<Buffer> {
  let off = 0;
  let i = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    yield Buffer.from(bytes.subarray(off, off + n));
    off += n;
  }
}

/** Feeds `input` to `transform` in pieces of `sizes` (cycled; default one piece) and collects what comes out. */
export function run(transform: Transform, input: Uint8Array, sizes: readonly number[] = [input.length || 1]): Promise<Outcome> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    const output = (): Buffer => Buffer.concat(parts);
    transform.on('data', (chunk: Buffer) => parts.push(chunk));
    transform.on('end', () => resolve({ output: output(), error: undefined }));
    transform.on('error', (error) => resolve({ output: output(), error }));
    const it = pieces(input, sizes);
    const pump = (): void => {
      for (;;) {
        if (transform.destroyed) return;
        const next = it.next();
        if (next.done === true) {
          transform.end();
          return;
        }
        if (!transform.write(next.value)) {
          transform.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

export function sha256hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Deterministic bytes for tests (not random-looking to compressors, but distinct per seed). */
export function testBytes(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A RandomBytes that replays a fixed stream (so two encryptions with the same seed are byte-identical). */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let s = seed;
  return (n) => new Uint8Array(testBytes(n, s++ * 7919 + 1));
}
