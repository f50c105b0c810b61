// The backup key K (32 random bytes) and its "64-digit key" form: 64 lowercase hex digits in 16 groups of 4
// joined by dashes (`1f3a-09bc-…`), one token that survives copy, paste and shell quoting. Reading accepts any
// case and any spaces, tabs, dashes and line breaks between digits, so a key written on paper in a grid or typed
// in groups reads back; anything else is refused with an error naming the count or the position (1-based, in
// the text as given; also as `details.digits` or `details.position`). A mistyped but well-formed key is not
// detected here: it decrypts nothing, and age reports 'no-match' ("wrong key"), never damaged data. Errors never
// echo the key.
// `BackupKey` is K as a value: its length is checked once when it is made, it never prints itself (toString,
// toJSON and util.inspect all give `BackupKey(redacted)`), and its bytes come out only through `exposeBytes()`;
// the 64-digit key only through `format()`. The SDK's backup streams, VaultClient.register and the CLI take it.

import { timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';
import { ClientError } from './errors.js';
import { defaultRandomBytes, type RandomBytes } from '../protocol/random.js';

export const BACKUP_KEY_BYTES = 32;
export const BACKUP_KEY_DIGITS = 64;
const GROUP = 4;
const SEPARATOR = '-';
const REDACTED = 'BackupKey(redacted)';

/** The backup key K: 32 bytes, checked once, never printed. */
export class BackupKey {
  readonly #bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array) || bytes.length !== BACKUP_KEY_BYTES) throw new RangeError('backup key must be 32 bytes');
    this.#bytes = new Uint8Array(bytes);
  }

  /** K from its 32 bytes (copied). */
  static fromBytes(bytes: Uint8Array): BackupKey {
    return new BackupKey(bytes);
  }

  /** A fresh K from `random` (node:crypto by default). */
  static generate(random: RandomBytes = defaultRandomBytes): BackupKey {
    return new BackupKey(random(BACKUP_KEY_BYTES));
  }

  /** K from the 64-digit key; throws ClientError('usage') naming the digit count or the first bad character. */
  static parse(text: string): BackupKey {
    return new BackupKey(parseBackupKey(text));
  }

  /** A copy of the 32 bytes of K: the one way to get them out. */
  exposeBytes(): Uint8Array {
    return new Uint8Array(this.#bytes);
  }

  /** K as the 64-digit key, for the user to write down. */
  format(): string {
    return formatBackupKey(this.#bytes);
  }

  /** Same key? (constant time) */
  equals(other: BackupKey): boolean {
    return timingSafeEqual(this.#bytes, other.#bytes);
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

/** The bytes of K given as a BackupKey or (inside the SDK) as 32 raw bytes. */
export function backupKeyBytes(key: BackupKey | Uint8Array): Uint8Array {
  return key instanceof BackupKey ? key.exposeBytes() : key;
}


/** A fresh backup key K from `random` (node:crypto by default). */
export function newBackupKey(random: RandomBytes = defaultRandomBytes): Uint8Array {
  const k = random(BACKUP_KEY_BYTES);
  if (!(k instanceof Uint8Array) || k.length !== BACKUP_KEY_BYTES) throw new RangeError('random source returned the wrong length');
  return new Uint8Array(k);
}

/** K as the 64-digit key: 16 dash-separated groups of 4 lowercase hex digits. */
export function formatBackupKey(input: BackupKey | Uint8Array): string {
  const key = backupKeyBytes(input);
  if (!(key instanceof Uint8Array) || key.length !== BACKUP_KEY_BYTES) throw new RangeError('backup key must be 32 bytes');
  const hex = Buffer.from(key).toString('hex');
  const groups: string[] = [];
  for (let i = 0; i < hex.length; i += GROUP) groups.push(hex.slice(i, i + GROUP));
  return groups.join(SEPARATOR);
}

function describe(ch: string): string {
  const c = ch.codePointAt(0)!;
  return c > 0x20 && c < 0x7f && ch !== "'" ? `'${ch}'` : `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Reads a 64-digit key; throws ClientError('usage') naming the digit count or the first bad character. */
export function parseBackupKey(text: string): Uint8Array {
  let digits = '';
  let position = 0;
  for (const ch of text) {
    position++;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === SEPARATOR) continue;
    if (!/^[0-9a-fA-F]$/.test(ch)) {
      throw new ClientError('usage', `64-digit key: bad character ${describe(ch)} at position ${position}`, { position });
    }
    digits += ch;
  }
  if (digits.length !== BACKUP_KEY_DIGITS) {
    throw new ClientError('usage', `64-digit key: found ${digits.length} hex digits, expected ${BACKUP_KEY_DIGITS}`, { digits: digits.length });
  }
  return new Uint8Array(Buffer.from(digits, 'hex'));
}
