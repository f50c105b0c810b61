// local/object-store/trash.ts: a deleted object moves to the trash (gone from the bucket, kept with its bytes),
// shows as a delete marker over a noncurrent version, comes back create-only by its marker, and is purged once
// older than the retention (lazily: at most once an hour) — exactly at the boundary, not a millisecond early.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Trash } from '../../local/object-store/trash.js';
import { objectPath } from '../../local/object-store/files.js';
import { tempDir } from '../client/repo/engine-helpers.js';

const DAY = 86_400_000;

function setup(retentionDays = 30) {
  const root = tempDir('bkv-trash-');
  const bucket = join(root, 'b');
  mkdirSync(bucket);
  let now = 1_700_000_000_000;
  const trash = new Trash(bucket, join(root, '.trash-b'), retentionDays, () => now);
  const put = (key: string, body: string) => {
    mkdirSync(join(bucket, ...key.split('/').slice(0, -1)), { recursive: true });
    writeFileSync(objectPath(bucket, key), body);
  };
  return { bucket, trash, put, advance: (ms: number) => (now += ms), now: () => now };
}

describe('local object store trash', () => {
  it('delete moves the object aside; versions show a marker over the old bytes; restore puts it back', async () => {
    const { bucket, trash, put, now } = setup();
    put('accounts/a/repo/data/x', 'hello');
    await trash.put('accounts/a/repo/data/x');
    expect(() => readFileSync(objectPath(bucket, 'accounts/a/repo/data/x'))).toThrow(/ENOENT/);
    const [v] = await trash.versions('accounts/a/', '', 1000);
    expect(v).toMatchObject({ key: 'accounts/a/repo/data/x', trashed: [{ deletedAt: now(), size: 5 }] });
    expect(v!.live).toBeUndefined();
    expect(await trash.versions('accounts/b/', '', 1000)).toEqual([]);
    expect(await trash.restore('accounts/a/repo/data/x', 'd0-000000000000')).toBe(false);
    expect(await trash.restore('accounts/a/repo/data/x', v!.trashed[0]!.markerId)).toBe(true);
    expect(readFileSync(objectPath(bucket, 'accounts/a/repo/data/x'), 'utf8')).toBe('hello');
    expect(await trash.versions('accounts/a/', '', 1000)).toEqual([]);
  });

  it('restore never replaces an object that is there (create-only)', async () => {
    const { bucket, trash, put } = setup();
    put('k/1', 'old');
    await trash.put('k/1');
    put('k/1', 'new');
    const [v] = await trash.versions('k/', '', 1000);
    expect(v!.live).toMatchObject({ size: 3 });
    await trash.restore('k/1', v!.trashed[0]!.markerId);
    expect(readFileSync(objectPath(bucket, 'k/1'), 'utf8')).toBe('new');
  });

  it.for([[30 * DAY - 1, 1], [30 * DAY + 1, 0]] as const)('after %i ms a deleted object is still there: %i', async ([age, left]) => {
    const { trash, put, advance } = setup(30);
    put('k/1', 'x');
    await trash.put('k/1');
    advance(age);
    await trash.purgeLazily(true);
    expect((await trash.versions('k/', '', 1000)).length).toBe(left);
  });

  it('pages by key: limit + 1 keys tell the caller there are more', async () => {
    const { trash, put } = setup();
    for (const k of ['p/a', 'p/b', 'p/c']) {
      put(k, k);
      await trash.put(k);
    }
    expect((await trash.versions('p/', '', 2)).map((v) => v.key)).toEqual(['p/a', 'p/b', 'p/c']);
    expect((await trash.versions('p/', 'p/b', 2)).map((v) => v.key)).toEqual(['p/c']);
  });
});
