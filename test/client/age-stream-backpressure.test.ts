// Memory stays flat whatever the size: when the consumer stops reading, the encrypting and decrypting streams
// stop pulling input after a bounded amount (on this thread and with worker threads), and resume when it reads.

import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream, encodeRecipient, x25519PublicKey } from '../../client/age/index.js';
import { testBytes } from './age/helpers.js';

const secret = randomBytes(32);
const recipient = encodeRecipient(x25519PublicKey(secret));
const PIECE = 64 * 1024;
const TOTAL = 64 * 1024 * 1024;
const BOUND = 16 * 1024 * 1024;

/** Lets the streams run until `ready()` holds and then no more input is pulled for 20 event-loop turns. */
async function settle(ready: () => boolean, read: () => number): Promise<void> {
  while (!ready()) await new Promise((r) => setTimeout(r, 1));
  let last = -1;
  for (let stable = 0; stable < 20;) {
    await new Promise((r) => setImmediate(r));
    stable = read() === last ? stable + 1 : 0;
    last = read();
  }
}

async function stallAndResume(make: () => NodeJS.ReadWriteStream, input: Buffer): Promise<Buffer> {
  let pulled = 0;
  const source = new Readable({
    read() {
      if (pulled >= input.length) return void this.push(null);
      this.push(input.subarray(pulled, pulled + PIECE));
      pulled += PIECE;
    },
  });
  let received = 0;
  let release: (() => void) | undefined;
  let stalled = true;
  const parts: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _e, cb) {
      received += chunk.length;
      parts.push(chunk);
      if (stalled && received > 1024 * 1024) release = cb; // stop reading after the first MiB
      else cb();
    },
  });
  const done = pipeline(source, make(), sink);
  await settle(() => release !== undefined, () => pulled);
  expect(pulled).toBeLessThan(received + BOUND);
  expect(pulled).toBeLessThan(input.length);
  stalled = false;
  release!();
  await done;
  return Buffer.concat(parts);
}

describe.each([0, 2])('with %i worker threads', (workers) => {
  it('a stalled consumer stops encryption and decryption from pulling more than a bounded amount', async () => {
    const plaintext = testBytes(TOTAL, 5);
    const sealed = await stallAndResume(() => createEncryptStream({ recipients: [recipient], workers, inlineBytes: 0 }), plaintext);
    const opened = await stallAndResume(() => createDecryptStream({ identities: [secret], workers, inlineBytes: 0 }), sealed);
    expect(opened.equals(plaintext)).toBe(true);
  });
});
