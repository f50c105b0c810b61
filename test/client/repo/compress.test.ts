// maybeCompress (client/repo/blobs/blob-ops.ts): compressible blobs are stored deflated (at least 1/16 smaller, and
// they inflate to the original); incompressible ones are stored as they are, and random data is not even
// deflated (the entropy sample decides), so it costs next to nothing. zlib is watched to see that.

import { createCipheriv } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const deflated = vi.hoisted(() => ({ bytes: 0 }));
vi.mock('node:zlib', async (original) => {
  const zlib = await original<typeof import('node:zlib')>();
  return {
    ...zlib,
    deflateSync: (b: Uint8Array, o?: object) => {
      deflated.bytes += b.length;
      return zlib.deflateSync(b, o);
    },
  };
});
const { maybeCompress } = await import('../../../client/repo/blobs/blob-ops.js');

const random = (n: number, seed = 1) => createCipheriv('chacha20', Buffer.alloc(32, seed), Buffer.alloc(16)).update(Buffer.alloc(n));

beforeEach(() => {
  deflated.bytes = 0;
});

describe('maybeCompress', () => {
  it.for([2048, 5000, 64 * 1024, 600 * 1024, 4 * 1024 * 1024])('stores %i random bytes as they are, without deflating them', (n) => {
    for (let seed = 1; seed <= 4; seed++) expect(maybeCompress(random(n, seed))).toBeUndefined();
    expect(deflated.bytes).toBe(0);
  });

  it('stores short blobs as they are', () => {
    expect(maybeCompress(Buffer.alloc(255))).toBeUndefined();
    expect(deflated.bytes).toBe(0);
  });

  const compressible: [string, Buffer][] = [
    ['text', Buffer.from('the quick brown fox jumps over the lazy dog. '.repeat(15000))],
    ['bytes of six bits', Buffer.from(random(600 * 1024).map((b) => b & 63))],
    ['zeros', Buffer.alloc(300 * 1024)],
    ['a short text', Buffer.from('a'.repeat(300))],
  ];
  for (const [what, blob] of compressible) {
    it(`deflates ${what} by at least 1/16, and it inflates back`, () => {
      const z = maybeCompress(blob);
      expect(z).toBeDefined();
      expect(z!.length).toBeLessThanOrEqual(blob.length - blob.length / 16);
      expect(inflateSync(z!).equals(blob)).toBe(true);
    });
  }

  it('stores a blob whose 16 KiB sample does not shrink as it is, deflating only the sample', () => {
    // bytes from 200 values: ~7.64 bits each, under the entropy bar, but only ~4% to gain
    const blob = Buffer.from(random(512 * 1024).map((b) => b % 200));
    expect(maybeCompress(blob)).toBeUndefined();
    expect(deflated.bytes).toBe(16 * 1024);
  });
});
