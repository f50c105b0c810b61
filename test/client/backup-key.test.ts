// The 64-digit key (client/backup-key.ts) and the backup age identity derived from K (client/backup-crypto.ts):
// parsing boundary tables, formatting, round trips, the pinned derivation (HKDF label bkv/v1/age-identity,
// checked against OpenSSL and age-keygen), the exact file size, and that a mistyped key reads as "wrong key".

import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ClientError } from '../../client/errors.js';
import { isAgeError, parseIdentity } from '../../client/age/index.js';
import { backupAgeIdentity, backupAgeRecipient, backupEncryptedSize, backupIdentityScalar, decryptBackup, encryptBackup } from '../../client/backup-crypto.js';
import { formatBackupKey, newBackupKey, parseBackupKey } from '../../client/backup-key.js';
import { testBytes } from './age/helpers.js';

const K = Uint8Array.from({ length: 32 }, (_, i) => i);
const HEX = Buffer.from(K).toString('hex');
const FORMATTED = '0001-0203-0405-0607-0809-0a0b-0c0d-0e0f-1011-1213-1415-1617-1819-1a1b-1c1d-1e1f';

function parseError(text: string): string {
  try {
    parseBackupKey(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).kind).toBe('usage');
    return (e as Error).message;
  }
  throw new Error('parsed');
}

describe('formatting', () => {
  it('is 16 dash-separated groups of 4 lowercase hex digits', () => {
    expect(formatBackupKey(K)).toBe(FORMATTED);
  });

  it('round-trips any key (fast-check)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (k) => {
      expect(formatBackupKey(k)).toMatch(/^([0-9a-f]{4}-){15}[0-9a-f]{4}$/);
      expect(parseBackupKey(formatBackupKey(k))).toEqual(k);
    }));
  });

  it.for([0, 31, 33])('refuses a %i-byte key', (n) => {
    expect(() => formatBackupKey(new Uint8Array(n))).toThrow(RangeError);
  });

  it('draws K from the injected random source, and checks its length', () => {
    expect(newBackupKey((n) => new Uint8Array(n).fill(7))).toEqual(new Uint8Array(32).fill(7));
    expect(() => newBackupKey(() => new Uint8Array(31))).toThrow(RangeError);
    expect(newBackupKey()).not.toEqual(newBackupKey());
  });
});

describe('parsing accepts any case, spaces, dashes and line breaks', () => {
  const groups = FORMATTED.split('-');
  it.for([
    ['as printed', FORMATTED],
    ['bare lowercase', HEX],
    ['uppercase', FORMATTED.toUpperCase()],
    ['mixed case', HEX.slice(0, 32).toUpperCase() + HEX.slice(32)],
    ['space-separated groups', groups.join(' ')],
    ['four lines of four groups', [0, 4, 8, 12].map((i) => groups.slice(i, i + 4).join(' ')).join('\n')],
    ['crlf line breaks and a tab', [0, 8].map((i) => groups.slice(i, i + 8).join('\t')).join('\r\n')],
    ['trailing newline (a key file)', `${FORMATTED}\n`],
    ['surrounding blanks and double separators', `  ${groups.join(' - ')}  \n\n`],
  ] as const)('%s', ([, text]) => {
    expect(parseBackupKey(text)).toEqual(K);
  });
});

describe('parsing refuses anything else, naming what is wrong', () => {
  it.for([
    ['empty', '', 'found 0 hex digits, expected 64'],
    ['only separators', ' - \n', 'found 0 hex digits, expected 64'],
    ['63 digits', HEX.slice(1), 'found 63 hex digits, expected 64'],
    ['65 digits', `${HEX}0`, 'found 65 hex digits, expected 64'],
    ['128 digits (two keys)', HEX + HEX, 'found 128 hex digits, expected 64'],
    ['a g', `g${HEX.slice(1)}`, "bad character 'g' at position 1"],
    ['letter o for zero, 6th character', `0001-o203${FORMATTED.slice(9)}`, "bad character 'o' at position 6"],
    ['a 0x prefix', `0x${HEX}`, "bad character 'x' at position 2"],
    ['last character', `${HEX.slice(0, 63)}.`, "bad character '.' at position 64"],
    ['an en dash', FORMATTED.replace('-', '\u2013'), 'bad character U+2013 at position 5'],
    ['a no-break space', FORMATTED.replace('-', '\u00a0'), 'bad character U+00A0 at position 5'],
    ['a nul byte', `${HEX}\0`, 'bad character U+0000 at position 65'],
    ['an underscore', FORMATTED.replace(/-/g, '_'), "bad character '_' at position 5"],
  ] as const)('%s', ([, text, message]) => {
    expect(parseError(text)).toBe(`64-digit key: ${message}`);
  });

  it('never echoes the key in an error', () => {
    const message = parseError(`${FORMATTED}-ffff`);
    expect(message).not.toContain('0001');
    expect(message).not.toContain(HEX.slice(0, 8));
  });
});

describe('the age identity of K', () => {
  it('is pinned: HKDF-SHA256(K, empty salt, "bkv/v1/age-identity"), as OpenSSL computes it', () => {
    const openssl = execFileSync('openssl', ['kdf', '-keylen', '32', '-kdfopt', 'digest:SHA256', '-kdfopt', `hexkey:${HEX}`,
      '-kdfopt', 'info:bkv/v1/age-identity', 'HKDF']).toString().trim().replace(/:/g, '').toLowerCase();
    expect(Buffer.from(backupIdentityScalar(K)).toString('hex')).toBe(openssl);
    expect(backupAgeIdentity(K)).toBe('AGE-SECRET-KEY-17X3PW0DUEKN579XAXLZAWULJYNPKZS244SMJRAW4LMKKKXXQEMJS4JXNLN');
    expect(parseIdentity(backupAgeIdentity(K))).toEqual(backupIdentityScalar(K));
  });

  it('has the recipient age-keygen -y derives from it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bkv-key-'));
    try {
      writeFileSync(join(dir, 'id'), `${backupAgeIdentity(K)}\n`, { mode: 0o600 });
      expect(backupAgeRecipient(K)).toBe('age1sx5hkehp432v89wqduq5mujt4l42ffxr04l0qxet8qj7kty7a5qqzn6ucj');
      expect(execFileSync('age-keygen', ['-y', join(dir, 'id')]).toString().trim()).toBe(backupAgeRecipient(K));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('backup files under K', () => {
  it.for([0, 1, 65535, 65536, 65537, 200_000])('a %i-byte backup has exactly backupEncryptedSize bytes and decrypts', async (n) => {
    const plaintext = testBytes(n, n + 2);
    const file = await encryptBackup(plaintext, K, { workers: 0 });
    expect(file.length).toBe(backupEncryptedSize(n));
    expect(Buffer.from(await decryptBackup(file, K, { workers: 0 })).equals(plaintext)).toBe(true);
  });

  // A key with one digit mistyped still parses, and must be reported as the wrong key, never as damaged data.
  it.for([0, 1, 31, 62, 63])('digit %i mistyped → no-match ("wrong key")', async (digit) => {
    const file = await encryptBackup(testBytes(1000, 3), K, { workers: 0 });
    const typed = HEX.slice(0, digit) + (HEX[digit] === 'a' ? 'b' : 'a') + HEX.slice(digit + 1);
    const error = await decryptBackup(file, parseBackupKey(typed), { workers: 0 }).then(() => undefined, (e: unknown) => e);
    expect(isAgeError(error, 'no-match')).toBe(true);
    expect((error as Error).message).toMatch(/^wrong key/);
  });
});
