// The age v1 header (c2sp.org/age §"Header"): version line, one or more recipient stanzas, and the MAC line
// `--- <base64 HMAC-SHA256>` keyed with HKDF-SHA256(file key, info "header") over the header through "---".
// Parsing is strict (printable ASCII and LF only, canonical unpadded base64, body lines of exactly 64 columns
// ended by one shorter line, non-empty arguments) and bounded (MAX_HEADER_BYTES, MAX_STANZAS).

import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { decodeBase64NoPad, encodeBase64NoPad } from './base64.js';
import { AgeError } from './errors.js';

export interface Stanza {
  /** The stanza type followed by its arguments. */
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

export interface Header {
  readonly stanzas: readonly Stanza[];
  /** The bytes the MAC covers: from the version line through "---". */
  readonly macInput: Uint8Array;
  readonly mac: Uint8Array;
}

export const VERSION_LINE = 'age-encryption.org/v1';
/** Our bound on a header, far above any real one (one X25519 stanza is ~110 bytes, a hybrid one ~1.6 KiB). */
export const MAX_HEADER_BYTES = 128 * 1024;
/** Our bound on stanzas, checked before any of them is unwrapped. */
export const MAX_STANZAS = 128;
const COLUMNS = 64;
const VERSION_PREFIX = Buffer.from(`${VERSION_LINE}\n`, 'latin1');
const AGE_PREFIX_LENGTH = 'age-encryption.org/'.length;
const MAC_BYTES = 32;
const HEADER_LABEL = Buffer.from('header', 'utf8');

function fail(message: string): never {
  throw new AgeError('header', message);
}

function isArgument(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/**
 * Collects a header from a byte stream: `push` returns the header bytes and whatever followed them once the MAC
 * line is complete. Throws AgeError('header') as soon as the bytes cannot start an age v1 header or the header
 * grows past MAX_HEADER_BYTES. Each byte is scanned once, so feeding a header byte by byte stays linear.
 */
export class HeaderReader {
  private buf = Buffer.allocUnsafe(512);
  private len = 0;
  private lineStart = 0;

  /** How many header bytes are buffered so far. */
  get buffered(): number {
    return this.len;
  }

  push(chunk: Uint8Array): { header: Uint8Array; rest: Uint8Array } | undefined {
    const take = Math.min(chunk.length, MAX_HEADER_BYTES - this.len);
    if (this.len + take > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_HEADER_BYTES, Math.max(this.buf.length * 2, this.len + take)));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    this.buf.set(chunk.subarray(0, take), this.len);
    const from = this.len;
    this.len += take;
    const prefix = VERSION_PREFIX;
    for (let i = from; i < Math.min(this.len, prefix.length); i++) {
      if (this.buf[i] !== prefix[i]) fail(i < AGE_PREFIX_LENGTH ? 'not an age file' : 'unsupported age version');
    }
    for (let i = from; i < this.len; i++) {
      if (this.buf[i] !== 0x0a) continue;
      const b = this.buf;
      if (this.lineStart > 0 && b[this.lineStart] === 0x2d && b[this.lineStart + 1] === 0x2d && b[this.lineStart + 2] === 0x2d) {
        const header = new Uint8Array(b.subarray(0, i + 1));
        const rest = Buffer.concat([b.subarray(i + 1, this.len), chunk.subarray(take)]);
        return { header, rest: new Uint8Array(rest.buffer, rest.byteOffset, rest.byteLength) };
      }
      this.lineStart = i + 1;
    }
    if (this.len >= MAX_HEADER_BYTES) fail('header too large');
    return undefined;
  }
}

/** Parses a complete header (as delimited by HeaderReader); throws AgeError('header'). */
export function parseHeader(bytes: Uint8Array): Header {
  if (bytes.length > MAX_HEADER_BYTES) fail('header too large');
  for (const b of bytes) if (b !== 0x0a && (b < 0x20 || b > 0x7e)) fail('invalid character in header');
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  if (!text.endsWith('\n')) fail('truncated header');
  const lines = text.slice(0, -1).split('\n');
  if (lines[0] !== VERSION_LINE) fail(lines[0]!.startsWith('age-encryption.org/') ? 'unsupported age version' : 'not an age file');
  const stanzas: Stanza[] = [];
  let i = 1;
  for (;;) {
    const line = lines[i++];
    if (line === undefined) fail('missing header mac');
    if (line.startsWith('---')) {
      if (i !== lines.length) fail('data after header mac');
      const m = /^--- ([A-Za-z0-9+/]{43})$/.exec(line);
      const mac = m ? decodeBase64NoPad(m[1]!) : undefined;
      if (mac === undefined || mac.length !== MAC_BYTES) fail('malformed header mac');
      if (stanzas.length === 0) fail('no recipient stanza');
      if (stanzas.length > 1 && stanzas.some((s) => s.args[0] === 'scrypt')) fail('scrypt stanza must be alone');
      const macInputLength = text.length - line.length - 1 + 3;
      return { stanzas, macInput: bytes.subarray(0, macInputLength), mac };
    }
    if (!line.startsWith('-> ')) fail('malformed header line');
    if (stanzas.length === MAX_STANZAS) fail('too many recipient stanzas');
    const args = line.slice(3).split(' ');
    if (!args.every(isArgument)) fail('malformed stanza arguments');
    let encoded = '';
    for (;;) {
      const bodyLine = lines[i++];
      if (bodyLine === undefined) fail('truncated stanza body');
      if (bodyLine.length > COLUMNS) fail('stanza body line too long');
      encoded += bodyLine;
      if (bodyLine.length < COLUMNS) break;
    }
    const body = decodeBase64NoPad(encoded);
    if (body === undefined) fail('malformed stanza body');
    stanzas.push({ args, body });
  }
}

/** The header through "---" (what the MAC covers), for `stanzas`. */
export function encodeHeaderForMac(stanzas: readonly Stanza[]): string {
  let out = `${VERSION_LINE}\n`;
  for (const s of stanzas) {
    if (s.args.length === 0 || !s.args.every(isArgument)) throw new RangeError('invalid stanza arguments');
    out += `-> ${s.args.join(' ')}\n`;
    const b64 = encodeBase64NoPad(s.body);
    for (let j = 0; j <= b64.length; j += COLUMNS) out += `${b64.slice(j, j + COLUMNS)}\n`;
  }
  return `${out}---`;
}

export function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Uint8Array {
  const key = Buffer.from(hkdfSync('sha256', fileKey, new Uint8Array(0), HEADER_LABEL, 32));
  return new Uint8Array(createHmac('sha256', key).update(macInput).digest());
}

/** The complete encoded header for `stanzas` under `fileKey`. */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Uint8Array {
  const macInput = Buffer.from(encodeHeaderForMac(stanzas), 'latin1');
  const mac = headerMac(fileKey, macInput);
  return new Uint8Array(Buffer.concat([macInput, Buffer.from(` ${encodeBase64NoPad(mac)}\n`, 'latin1')]));
}

/** Throws AgeError('hmac') unless `header.mac` is the MAC under `fileKey` (compared in constant time). */
export function verifyHeaderMac(header: Header, fileKey: Uint8Array): void {
  const expected = headerMac(fileKey, header.macInput);
  if (expected.length !== header.mac.length || !timingSafeEqual(expected, header.mac)) {
    throw new AgeError('hmac', 'header mac mismatch');
  }
}
