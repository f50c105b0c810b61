// Canonical standard base64 without padding (RFC 4648 §4, no "="), the encoding of every binary value in an age
// header (c2sp.org/age). Decoding rejects padding, characters outside the alphabet and non-zero trailing bits,
// so one value has exactly one encoding.

const ALPHABET = /^[A-Za-z0-9+/]*$/;

export function encodeBase64NoPad(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64').replace(/=+$/, '');
}

/** Returns the bytes, or undefined when `text` is not canonical unpadded base64. */
export function decodeBase64NoPad(text: string): Uint8Array | undefined {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  if (encodeBase64NoPad(bytes) !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
