// Proves that backup files are authenticated end to end (docs/protocol.md "Backup files (age v1)"): every flipped
// bit, truncation, chunk reordering and appended byte is detected with the right AgeError kind; a decrypting stream
// releases only whole authenticated chunks, in order, and a damaged or truncated file ends in an error, never in a
// clean end of stream. Also fast-check round trips at random sizes, chunkings and worker counts.

import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, createEncryptStream, encodeRecipient, isAgeError, x25519PublicKey, type AgeErrorKind } from '../../client/age/index.js';
import { run, seededRandom, testBytes } from './age/helpers.js';

const CHUNK = 65536;
const SEALED = CHUNK + 16;
const secret = randomBytes(32);
const recipient = encodeRecipient(x25519PublicKey(secret));

async function encrypt(plaintext: Uint8Array, workers = 0, random?: (n: number) => Uint8Array): Promise<Buffer> {
  const { output, error } = await run(createEncryptStream({ recipients: [recipient], workers, inlineBytes: 0, random }), plaintext, [40000]);
  expect(error).toBeUndefined();
  return output;
}

function decrypt(file: Uint8Array, workers = 0, sizes?: number[]) {
  return run(createDecryptStream({ identities: [secret], workers, inlineBytes: 0 }), file, sizes);
}

/** Byte offsets of a file: end of header (after the MAC line), start of the payload (after the nonce). */
function layout(file: Buffer): { macStart: number; headerEnd: number; payloadStart: number } {
  const macStart = file.indexOf('\n---') + 1;
  const headerEnd = file.indexOf('\n', macStart) + 1;
  return { macStart, headerEnd, payloadStart: headerEnd + 16 };
}

function kindOf(error: unknown): AgeErrorKind | 'none' | 'other' {
  if (error === undefined) return 'none';
  return isAgeError(error) ? error.check : 'other';
}

/** The released output must be the plaintext of whole chunks, from the start. */
function expectAuthenticatedPrefix(output: Buffer, plaintext: Buffer): void {
  expect(plaintext.subarray(0, output.length).equals(output)).toBe(true);
  expect(output.length % CHUNK === 0 || output.length === plaintext.length).toBe(true);
}

describe('round trips (fast-check)', () => {
  it('decrypt(encrypt(x)) = x at random sizes, input chunkings and worker counts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 5 * CHUNK + 3 }),
        fc.array(fc.integer({ min: 1, max: 3 * CHUNK }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 3 * CHUNK }), { minLength: 1, maxLength: 4 }),
        fc.constantFrom(0, 1, 2),
        async (size, encSizes, decSizes, workers) => {
          const plaintext = testBytes(size, size);
          const enc = await run(createEncryptStream({ recipients: [recipient], workers, inlineBytes: 0 }), plaintext, encSizes);
          expect(enc.error).toBeUndefined();
          const dec = await decrypt(enc.output, workers, decSizes);
          expect(dec.error).toBeUndefined();
          expect(dec.output.equals(plaintext)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a long stream through the worker threads round-trips, whatever order batches finish in', async () => {
    const plaintext = testBytes(48 * 1024 * 1024 + 3, 77);
    for (const workers of [1, 2, 3]) {
      const enc = await run(createEncryptStream({ recipients: [recipient], workers, inlineBytes: 0 }), plaintext, [1 << 20, 65536, 3 << 20]);
      expect(enc.error).toBeUndefined();
      const dec = await decrypt(enc.output, workers, [5 << 20, 4099, 1 << 20]);
      expect(dec.error).toBeUndefined();
      expect(dec.output.equals(plaintext)).toBe(true);
    }
  });

  it('the worker threads write the same bytes as this thread (same randomness)', async () => {
    const plaintext = testBytes(20 * CHUNK + 77, 5);
    const inline = await encrypt(plaintext, 0, seededRandom(9));
    const pooled = await encrypt(plaintext, 2, seededRandom(9));
    expect(pooled.equals(inline)).toBe(true);
  });
});

describe('every single-bit flip of a small file', () => {
  it('fails with the kind of the region it hits, releasing nothing', async () => {
    const plaintext = testBytes(100, 3);
    const file = await encrypt(plaintext);
    const { macStart, headerEnd } = layout(file);
    const seen = new Map<string, number>();
    for (let bit = 0; bit < file.length * 8; bit++) {
      const damaged = Buffer.from(file);
      damaged[bit >> 3]! ^= 1 << (bit & 7);
      const { output, error } = await decrypt(damaged);
      const kind = kindOf(error);
      const at = bit >> 3;
      const region = at < macStart ? 'stanzas' : at < headerEnd ? 'mac line' : 'nonce and payload';
      // In the stanza a flip breaks the syntax or the unwrapping (no-match); only a stanza that unwraps reaches
      // the MAC, so 'hmac' needs a flip in the MAC itself.
      const allowed: string[] = region === 'stanzas' ? ['header', 'no-match'] : region === 'mac line' ? ['header', 'hmac'] : ['payload'];
      expect(allowed, `bit ${bit} (${region})`).toContain(kind);
      expect(output.length, `bit ${bit}`).toBe(0);
      seen.set(`${region}:${kind}`, (seen.get(`${region}:${kind}`) ?? 0) + 1);
    }
    // Each kind is reached: the flips exercise parsing, unwrapping, the MAC and the payload.
    for (const k of ['stanzas:header', 'stanzas:no-match', 'mac line:header', 'mac line:hmac', 'nonce and payload:payload']) {
      expect(seen.get(k) ?? 0, k).toBeGreaterThan(0);
    }
  });

  it.for([0, 1, 2])('a flip in chunk %i of three releases exactly the chunks before it', async (k) => {
    const plaintext = testBytes(2 * CHUNK + 500, 4);
    const file = await encrypt(plaintext);
    const { payloadStart } = layout(file);
    for (const offset of [0, 1000, CHUNK - 1, CHUNK + 15]) {
      const at = payloadStart + k * SEALED + offset;
      if (at >= file.length) continue;
      for (const workers of [0, 2]) {
        const damaged = Buffer.from(file);
        damaged[at]! ^= 0x80;
        const { output, error } = await decrypt(damaged, workers, [7000]);
        expect(kindOf(error)).toBe('payload');
        expect(output.equals(plaintext.subarray(0, k * CHUNK))).toBe(true);
      }
    }
  });
});

describe('truncation', () => {
  const plaintext = testBytes(2 * CHUNK + 100, 6);
  const filePromise = encrypt(plaintext);

  // Every boundary class of the format: in and at the end of each header part, the nonce, each chunk.
  const cases: [string, AgeErrorKind, (l: ReturnType<typeof layout>, n: number) => number][] = [
    ['empty file', 'header', () => 0],
    ['inside the version line', 'header', () => 10],
    ['after the version line', 'header', () => 22],
    ['inside the stanza', 'header', () => 40],
    ['before the mac line', 'header', (l) => l.macStart],
    ['inside the mac line', 'header', (l) => l.macStart + 10],
    ['before the header final newline', 'header', (l) => l.headerEnd - 1],
    ['after the header (no nonce)', 'header', (l) => l.headerEnd],
    ['inside the nonce', 'header', (l) => l.headerEnd + 7],
    ['after the nonce (no chunks)', 'payload', (l) => l.payloadStart],
    ['inside chunk 0', 'payload', (l) => l.payloadStart + 100],
    ['inside the tag of chunk 0', 'payload', (l) => l.payloadStart + SEALED - 3],
    ['at the end of chunk 0', 'payload', (l) => l.payloadStart + SEALED],
    ['one byte into chunk 1', 'payload', (l) => l.payloadStart + SEALED + 1],
    ['at the end of chunk 1', 'payload', (l) => l.payloadStart + 2 * SEALED],
    ['inside the final chunk', 'payload', (l) => l.payloadStart + 2 * SEALED + 50],
    ['one byte short of the end', 'payload', (_l, n) => n - 1],
  ];

  it.for(cases)('%s → %s error, whole authenticated chunks only', async ([, kind, at]) => {
    const file = await filePromise;
    const cut = at(layout(file), file.length);
    expect(cut).toBeLessThan(file.length);
    for (const workers of [0, 2]) {
      const { output, error } = await decrypt(file.subarray(0, cut), workers, [3000]);
      expect(kindOf(error)).toBe(kind);
      expectAuthenticatedPrefix(output, plaintext);
    }
  });

  it('at any random length: always an error, never a clean end (fast-check)', async () => {
    const file = await filePromise;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: file.length - 1 }), async (cut) => {
        const { output, error } = await decrypt(file.subarray(0, cut));
        expect(['header', 'payload']).toContain(kindOf(error));
        expectAuthenticatedPrefix(output, plaintext);
      }),
      { numRuns: 60 },
    );
  });

  it('a truncated stream emits error and never end, after delivering what authenticated', async () => {
    const file = await filePromise;
    const { payloadStart } = layout(file);
    const stream = createDecryptStream({ identities: [secret], workers: 0 });
    const events: string[] = [];
    let released = 0;
    stream.on('data', (c: Buffer) => (released += c.length));
    stream.on('end', () => events.push('end'));
    const closed = new Promise<void>((resolve) => stream.on('close', () => resolve()));
    stream.on('error', (e) => events.push(`error:${kindOf(e)}`));
    stream.end(file.subarray(0, payloadStart + 2 * SEALED));
    await closed;
    expect(events).toEqual(['error:payload']);
    expect(released).toBe(2 * CHUNK); // chunk 1 authenticates as a non-final chunk; the final one is missing
  });
});

describe('reordering and appended data', () => {
  const plaintext = testBytes(3 * CHUNK + 10, 8);
  const filePromise = encrypt(plaintext);

  function chunks(file: Buffer): { head: Buffer; parts: Buffer[] } {
    const { payloadStart } = layout(file);
    const parts: Buffer[] = [];
    for (let o = payloadStart; o < file.length; o += SEALED) parts.push(file.subarray(o, o + SEALED));
    return { head: file.subarray(0, payloadStart), parts };
  }

  it.for([
    ['swap chunks 0 and 1', [1, 0, 2, 3], 0],
    ['swap chunks 1 and 2', [0, 2, 1, 3], 1],
    ['final chunk moved first', [3, 0, 1, 2], 0],
    ['chunk 1 repeated', [0, 1, 1, 2, 3], 2],
    ['chunk 2 dropped', [0, 1, 3], 2],
  ] as const)('%s → payload error after the chunks still in place', async ([, order, good]) => {
    const file = await filePromise;
    const { head, parts } = chunks(file);
    const reordered = Buffer.concat([head, ...order.map((i) => parts[i]!)]);
    for (const workers of [0, 2]) {
      const { output, error } = await decrypt(reordered, workers);
      expect(kindOf(error)).toBe('payload');
      expect(output.equals(plaintext.subarray(0, good * CHUNK))).toBe(true);
    }
  });

  it.for([0, 1, 100, CHUNK, 3 * CHUNK])('a %i-byte payload plus one appended byte → payload error', async (size) => {
    const p = testBytes(size, 10);
    const file = await encrypt(p);
    for (const extra of [Buffer.from([0]), Buffer.from(file.subarray(file.length - 17))]) {
      const { output, error } = await decrypt(Buffer.concat([file, extra]));
      expect(kindOf(error)).toBe('payload');
      expectAuthenticatedPrefix(output, p);
      expect(output.length).toBeLessThan(p.length + 1);
    }
  });
});

describe('release only after authentication', () => {
  it('fed byte ranges one at a time, never emits a chunk before its tag (and the byte after it) arrived', async () => {
    const plaintext = testBytes(3 * CHUNK + 5, 11);
    const file = await encrypt(plaintext);
    const { payloadStart } = layout(file);
    const stream = createDecryptStream({ identities: [secret], workers: 0 });
    let released = 0;
    stream.on('data', (c: Buffer) => (released += c.length));
    const done = new Promise<void>((resolve, reject) => stream.on('end', resolve).on('error', reject));
    for (let written = 0; written < file.length;) {
      const n = Math.min(9973, file.length - written);
      await new Promise<void>((resolve) => stream.write(file.subarray(written, written + n), () => resolve()));
      written += n;
      await new Promise((r) => setImmediate(r));
      const complete = Math.max(0, Math.floor((written - payloadStart - 1) / SEALED));
      expect(released).toBeLessThanOrEqual(complete * CHUNK);
    }
    stream.end();
    await done;
    expect(released).toBe(plaintext.length);
  });

  it('a file for another key fails as no-match ("wrong key"), releasing nothing', async () => {
    const file = await encrypt(testBytes(1000, 12));
    const { output, error } = await run(createDecryptStream({ identities: [randomBytes(32)], workers: 0 }), file);
    expect(kindOf(error)).toBe('no-match');
    expect((error as Error).message).toMatch(/^wrong key/);
    expect(output.length).toBe(0);
  });
});
