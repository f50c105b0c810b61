// The backup key K (32 random bytes) and its "64-digit key" form: 64 lowercase hex digits in 16 groups of 4
// joined by dashes (`1f3a-09bc-…`), one token that survives copy, paste and shell quoting. Reading accepts any
// case and any spaces, tabs, dashes and line breaks between digits, so a key written on paper in a grid or typed
// in groups reads back; anything else is refused with an error naming the count or the position (1-based, in
// the text as given; also as `details.digits` or `details.position`). A mistyped but well-formed key is not
// detected here: it decrypts nothing, and age reports 'no-match' ("wrong key"), never damaged data. Errors never
// echo the key.

import { ClientError } from './errors.js';
import { defaultRandomBytes, type RandomBytes } from '../protocol/random.js';

export const BACKUP_KEY_BYTES = 32;
export const BACKUP_KEY_DIGITS = 64;
const GROUP = 4;
const SEPARATOR = '-';


/** A fresh backup key K from `random` (node:crypto by default). */
export function newBackupKey(random: RandomBytes = defaultRandomBytes): Uint8Array {
  const k = random(BACKUP_KEY_BYTES);
  if (!(k instanceof Uint8Array) || k.length !== BACKUP_KEY_BYTES) throw new RangeError('random source returned the wrong length');
  return new Uint8Array(k);
}

/** K as the 64-digit key: 16 dash-separated groups of 4 lowercase hex digits. */
export function formatBackupKey(key: Uint8Array): string {
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
