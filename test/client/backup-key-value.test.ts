// BackupKey (client/backup-key.ts): K as a value that checks its 32-byte length once, when it is made, and never
// prints itself: String(), template strings, JSON, util.inspect and console-style formatting all show
// `BackupKey(redacted)` and never the hex, the base64 or the 64-digit form; the bytes come out only through
// exposeBytes() (a copy), and the 64-digit key only through format().

import { inspect, format } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BackupKey, formatBackupKey } from '../../client/backup-key.js';
import { ClientError } from '../../client/errors.js';
import { decryptBackup, encryptBackup } from '../../client/backup-crypto.js';

const BYTES = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const HEX = Buffer.from(BYTES).toString('hex');

describe('construction checks the length once', () => {
  it.for([0, 1, 31, 33, 64])('refuses %i bytes', (n) => {
    expect(() => BackupKey.fromBytes(new Uint8Array(n))).toThrow(RangeError);
  });

  it('refuses a random source that returns the wrong length', () => {
    expect(() => BackupKey.generate(() => new Uint8Array(31))).toThrow(RangeError);
    expect(BackupKey.generate((n) => new Uint8Array(n).fill(7)).exposeBytes()).toEqual(new Uint8Array(32).fill(7));
  });

  it('copies the bytes in and out: changing either array does not change K', () => {
    const raw = new Uint8Array(BYTES);
    const key = BackupKey.fromBytes(raw);
    raw.fill(0);
    const out = key.exposeBytes();
    out.fill(1);
    expect(key.exposeBytes()).toEqual(BYTES);
  });

  it('parses the 64-digit key, and refuses a malformed one as usage', () => {
    expect(BackupKey.parse(formatBackupKey(BYTES)).equals(BackupKey.fromBytes(BYTES))).toBe(true);
    expect(() => BackupKey.parse(HEX.slice(1))).toThrow(ClientError);
    expect(() => BackupKey.parse(HEX.slice(1))).toThrow(expect.objectContaining({ kind: 'usage', details: { digits: 63 } }));
  });

  it('equals compares the bytes', () => {
    expect(BackupKey.fromBytes(BYTES).equals(BackupKey.fromBytes(BYTES))).toBe(true);
    expect(BackupKey.generate().equals(BackupKey.fromBytes(BYTES))).toBe(false);
  });
});

describe('it never prints itself', () => {
  const key = BackupKey.fromBytes(BYTES);
  const secretForms = [HEX, HEX.slice(0, 8), formatBackupKey(BYTES), formatBackupKey(BYTES).slice(0, 9), Buffer.from(BYTES).toString('base64')];

  it.for([
    ['String()', () => String(key)],
    ['template string', () => `${key}`],
    ['concatenation', () => 'k=' + key],
    ['JSON.stringify', () => JSON.stringify({ key })],
    ['util.inspect', () => inspect(key)],
    ['util.inspect, showHidden', () => inspect(key, { showHidden: true, depth: 10 })],
    ['util.inspect of an object holding it', () => inspect({ nested: { key } }, { depth: 10 })],
    ['util.format %o', () => format('%o', key)],
    ['an error message about it', () => new Error(`bad ${key}`).message],
  ] as const)('%s', ([, show]) => {
    const text = show();
    expect(text).toContain('BackupKey(redacted)');
    for (const secret of secretForms) expect(text).not.toContain(secret);
  });

  it('has no enumerable own properties (nothing for Object.entries or a spread to leak)', () => {
    expect(Object.keys(key)).toEqual([]);
    expect(JSON.stringify({ ...key })).toBe('{}');
  });

  it('the explicit ways out are explicit', () => {
    expect(Buffer.from(key.exposeBytes()).toString('hex')).toBe(HEX);
    expect(key.format()).toBe(formatBackupKey(BYTES));
  });
});

describe('the SDK takes it', () => {
  it('encrypts and decrypts a backup under a BackupKey, the same as under its bytes', async () => {
    const key = BackupKey.generate();
    const file = await encryptBackup(new TextEncoder().encode('hello'), key);
    expect(Buffer.from(await decryptBackup(file, key.exposeBytes())).toString()).toBe('hello');
    expect(Buffer.from(await decryptBackup(file, key)).toString()).toBe('hello');
  });
});
