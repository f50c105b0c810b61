// Backup ids and object keys (functions/backups/ids.ts): ids match the wire pattern and sort by creation time,
// strictly within one millisecond; keys sit under a prefix owned by the account, and no account's prefix is a
// prefix of another's, so listing or deleting under one account can never reach another.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountPrefix, backupIdGenerator, objectKey, parseObjectKey } from '../../functions/backups/ids.js';
import { ACCOUNT_ID } from '../../functions/http/request.js';
import { BACKUP_ID_PATTERN, MAX_PARTS, MIN_PART_SIZE, S3_MAX_PART_SIZE, S3_MIN_PART_SIZE, MAX_CONFIGURABLE_BACKUP_BYTES, partCountFor, partSizeFor } from '../../protocol/backups-schemas.js';

const account = fc.stringMatching(ACCOUNT_ID);

describe('backup ids', () => {
  it('match the wire pattern and sort by time, strictly increasing from one generator', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 48 - 1 }), { minLength: 1, maxLength: 50 }), (times) => {
      const next = backupIdGenerator();
      const sorted = [...times].sort((x, y) => x - y);
      const ids = sorted.map((t) => next(t));
      for (const id of ids) expect(id).toMatch(BACKUP_ID_PATTERN);
      for (let i = 1; i < ids.length; i++) expect(ids[i]! > ids[i - 1]!).toBe(true);
    }));
  });

  it('ids from different generators sort by their millisecond', () => {
    const a = backupIdGenerator()(1000);
    const b = backupIdGenerator()(1001);
    expect(a < b).toBe(true);
    expect(a.slice(0, 10)).toBe('00000000z8'); // 1000 = 31·32 + 8
  });

  it('take their randomness from the injected source', () => {
    const zeros = backupIdGenerator(() => new Uint8Array(10));
    expect(zeros(0)).toBe('0'.repeat(26));
    expect(zeros(0)).toBe(`${'0'.repeat(25)}1`);
  });
});

describe('object keys', () => {
  it('round-trip account and id, under the account prefix', () => {
    fc.assert(fc.property(account, (acct) => {
      const id = backupIdGenerator()(Date.now());
      const key = objectKey(acct, id);
      expect(key.startsWith(accountPrefix(acct))).toBe(true);
      expect(key).toMatch(/^accounts\/[A-Za-z0-9_-]+\/backups\/[0-9a-z]{26}\.age$/);
      expect(parseObjectKey(key)).toEqual({ account: acct, backupId: id });
    }));
  });

  it('no account prefix is a prefix of another account\'s', () => {
    fc.assert(fc.property(account, account, (a, b) => {
      fc.pre(a !== b);
      expect(accountPrefix(b).startsWith(accountPrefix(a))).toBe(false);
    }));
    expect(accountPrefix('abcd').startsWith(accountPrefix('abc'))).toBe(false);
  });

  it('keys of other shapes are not backups', () => {
    expect(parseObjectKey('accounts/YWxpY2U/backups/nope.age')).toEqual({ account: 'alice' });
    expect(parseObjectKey('accounts/YWxpY2U/backups/x/01jd0000000000000000000001.age')).toEqual({ account: 'alice' });
    expect(parseObjectKey('other/YWxpY2U/backups/01jd0000000000000000000001.age')).toBeUndefined();
    expect(parseObjectKey('accounts/YWxpY2U=/backups/01jd0000000000000000000001.age')).toBeUndefined();
  });
});

describe('part size rule', () => {
  it.for([0, 1, MIN_PART_SIZE, MIN_PART_SIZE + 1, 2 ** 31, 50 * 2 ** 30, MIN_PART_SIZE * MAX_PARTS, MIN_PART_SIZE * MAX_PARTS + 1, MAX_CONFIGURABLE_BACKUP_BYTES])(
    'size %i: parts within S3 limits, at most MAX_PARTS, covering the size exactly',
    (size) => {
      const partSize = partSizeFor(size);
      const count = partCountFor(size, partSize);
      expect(partSize % (1024 * 1024)).toBe(0);
      expect(partSize).toBeGreaterThanOrEqual(Math.max(MIN_PART_SIZE, S3_MIN_PART_SIZE));
      expect(partSize).toBeLessThanOrEqual(S3_MAX_PART_SIZE);
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(MAX_PARTS);
      expect(partSize * (count - 1)).toBeLessThanOrEqual(size);
      expect(partSize * count).toBeGreaterThanOrEqual(size);
    },
  );

  it('a complete body of MAX_PARTS quoted md5 etags fits in 64 KiB', () => {
    const parts = Array.from({ length: MAX_PARTS }, (_, i) => ({ partNumber: i + 1, etag: `"${'f'.repeat(32)}"` }));
    expect(Buffer.byteLength(JSON.stringify({ parts }))).toBeLessThan(64 * 1024);
  });
});
