// The bounds and encodings of the age header (client/age/header.ts, bech32.ts): the 128 KiB and 128-stanza caps
// are enforced while reading (before any stanza is unwrapped, without buffering the rest of the input), input
// that is not age fails at once, and the bech32 codec matches BIP 173 (the age key encodings).

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDecryptStream, encodeRecipient, isAgeError, MAX_HEADER_BYTES, MAX_STANZAS, parseIdentity, parseRecipient, x25519PublicKey } from '../../client/age/index.js';
import { bech32Decode, bech32Encode } from '../../client/age/bech32.js';
import { payloadKey } from '../../client/age/encrypt-stream.js';
import { encodeHeader, type Stanza } from '../../client/age/header.js';
import { sealChunks } from '../../client/age/stream-chunks.js';
import { wrapFileKey } from '../../client/age/x25519.js';
import { run, seededRandom, testBytes } from './age/helpers.js';

const secret = randomBytes(32);
const recipient = x25519PublicKey(secret);

/** A complete file whose header holds our X25519 stanza after `grease` unknown stanzas. */
function fileWithStanzas(grease: number, plaintext: Uint8Array): Buffer {
  const random = seededRandom(3);
  const fileKey = random(16);
  const stanzas: Stanza[] = [];
  for (let i = 0; i < grease; i++) stanzas.push({ args: ['bkv.test/grease', String(i)], body: new Uint8Array(i % 50) });
  stanzas.push(wrapFileKey(fileKey, recipient, random));
  const nonce = random(16);
  const batch = Buffer.from(plaintext);
  const sealed = sealChunks(payloadKey(fileKey, nonce), 0, batch, batch.length, true);
  return Buffer.concat([encodeHeader(stanzas, fileKey), nonce, ...sealed]);
}

describe('header limits', () => {
  it(`${MAX_STANZAS} stanzas decrypt; ${MAX_STANZAS + 1} are refused as a header failure`, async () => {
    const plaintext = testBytes(1000, 1);
    const ok = await run(createDecryptStream({ identities: [secret] }), fileWithStanzas(MAX_STANZAS - 1, plaintext));
    expect(ok.error).toBeUndefined();
    expect(ok.output.equals(plaintext)).toBe(true);
    const tooMany = await run(createDecryptStream({ identities: [secret] }), fileWithStanzas(MAX_STANZAS, plaintext));
    expect(isAgeError(tooMany.error, 'header')).toBe(true);
    expect((tooMany.error as Error).message).toBe('too many recipient stanzas');
  });

  it('a header that never ends fails once it passes the cap, without reading the rest', async () => {
    const line = Buffer.from(`-> bkv.test/long ${'x'.repeat(60)}\n\n`);
    const endless = Buffer.concat([Buffer.from('age-encryption.org/v1\n'), ...Array<Buffer>(Math.ceil((4 * MAX_HEADER_BYTES) / line.length)).fill(line)]);
    const stream = createDecryptStream({ identities: [secret] });
    let written = 0;
    const failed = new Promise<unknown>((resolve) => stream.on('error', resolve));
    for (let off = 0; off < endless.length && !stream.destroyed; off += 4096) {
      stream.write(endless.subarray(off, off + 4096));
      written = off + 4096;
      await new Promise((r) => setImmediate(r));
    }
    const error = await failed;
    expect(isAgeError(error, 'header')).toBe(true);
    expect((error as Error).message).toBe('header too large');
    expect(written).toBeLessThanOrEqual(MAX_HEADER_BYTES + 8192);
  });

  it.for([
    ['plain text', 'hello, world\n', 'not an age file'],
    ['another age version', 'age-encryption.org/v2\n-> X25519 abc\n', 'unsupported age version'],
    ['an armored file', '-----BEGIN AGE ENCRYPTED FILE-----\n', 'not an age file'],
  ] as const)('%s fails at its first bytes, before the input ends', async ([, text, message]) => {
    const stream = createDecryptStream({ identities: [secret] });
    const failed = new Promise<unknown>((resolve) => stream.on('error', resolve));
    stream.write(Buffer.from(text)); // never ended
    const error = await failed;
    expect(isAgeError(error, 'header')).toBe(true);
    expect((error as Error).message).toBe(message);
  });
});

describe('bech32 (BIP 173) and the age key encodings', () => {
  it.for(['A12UEL5L', 'a12uel5l', 'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw'])('accepts %s', (s) => {
    const d = bech32Decode(s)!;
    expect(d).toBeDefined();
    expect(bech32Encode(d.hrp, d.data, s === s.toUpperCase())).toBe(s);
  });

  it.for([
    ['mixed case', 'a12UEL5L'],
    ['checksum computed over the uppercase hrp', 'A1G7SGD8'],
    ['a character outside the alphabet', 'x1b4n0q5v'],
    ['a checksum too short', 'li1dgmt3'],
    ['no separator', 'pzry9x0s0muk'],
    ['an empty hrp', '1pzry9x0s0muk'],
    ['a changed checksum', 'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxx'],
  ] as const)('refuses %s', ([, s]) => {
    expect(bech32Decode(s)).toBeUndefined();
  });

  it('age strings: recipients lowercase, identities uppercase, 32 bytes, nothing else', () => {
    const r = encodeRecipient(recipient);
    expect(parseRecipient(r)).toEqual(recipient);
    expect(() => parseRecipient(r.toUpperCase())).toThrow(RangeError);
    expect(() => parseIdentity(r)).toThrow(RangeError);
    const id = bech32Encode('AGE-SECRET-KEY-', secret, true);
    expect(parseIdentity(id)).toEqual(new Uint8Array(secret));
    expect(() => parseIdentity(id.toLowerCase())).toThrow(RangeError);
    expect(() => parseIdentity(bech32Encode('AGE-SECRET-KEY-', secret.subarray(0, 31), true))).toThrow(RangeError);
    expect(() => parseRecipient(bech32Encode('age', new Uint8Array(33)))).toThrow(RangeError);
  });
});
