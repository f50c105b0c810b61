// A deterministic byte stream for known-answer tests: block i = SHA-512(seed ‖ u32be(i)), concatenated, read in
// order (docs/protocol.md "Realms", the committed vector). Never used outside tests.

import { createHash } from 'node:crypto';
import type { RandomBytes } from '../../protocol/random.js';

export function drbg(seed: string): RandomBytes & { drawn: () => number } {
  let buffer = Buffer.alloc(0);
  let counter = 0;
  let drawn = 0;
  const next: RandomBytes = (n) => {
    while (buffer.length < n) {
      const c = Buffer.alloc(4);
      c.writeUInt32BE(counter++);
      buffer = Buffer.concat([buffer, createHash('sha512').update(seed, 'utf8').update(c).digest()]);
    }
    const out = buffer.subarray(0, n);
    buffer = buffer.subarray(n);
    drawn += n;
    return new Uint8Array(out);
  };
  return Object.assign(next, { drawn: () => drawn });
}
