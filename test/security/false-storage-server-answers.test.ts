// Attacker: a false storage server (the operator, a writer of S3 or of the API's answers) that cannot forge an
// object but answers listings as it likes and hides objects (docs/threat-model.md, "Writer of S3"). What it gets:
// no endless listing (a clean bad-answer within docs/repository.md "Limits"), and no silent rollback: a device that
// has seen a newer snapshot refuses `latest` when the server hides it, and keeps its cached copy as evidence.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../client/http.js';
import { isClientError } from '../../client/errors.js';
import { findSnapshot } from '../../client/repo/snapshots/find.js';
import { forget } from '../../client/repo/commands/forget.js';
import { HttpRepoStore } from '../../client/repo/storage/http-store.js';
import { openRepository } from '../../client/repo/repository.js';
import type { CallOptions, ObjectInfo, ObjectName, ObjectType, Range } from '../../client/repo/storage/store.js';
import { RepoObjectMissing } from '../../client/repo/storage/store.js';
import { TestMemoryStore } from '../helpers/memory-repo.js';
import { Crafter, meta } from '../client/repo/craft.js';
import { freshRepo } from '../client/repo/engine-helpers.js';
import { MAX_LIST_LIMIT, MAX_LIST_OBJECTS, MAX_LIST_PAGES } from '../../protocol/repo-schemas.js';

const hexId = (n: bigint) => n.toString(16).padStart(64, '0');

/** An API that answers every listing request with `page(after)`, counting the requests. */
function fakeApi(page: (after: string | undefined, n: number) => unknown): { api: ApiClient; requests: () => number } {
  let n = 0;
  const api = {
    call: async (id: string, options?: { query?: { after?: string } }) => {
      expect(id).toBe('repo.list');
      const after = options?.query?.after;
      await new Promise(setImmediate); // a real answer takes a turn of the event loop
      return page(after, n++);
    },
  } as unknown as ApiClient;
  return { api, requests: () => n };
}

async function drain(store: HttpRepoStore): Promise<{ error: unknown; yielded: number }> {
  let yielded = 0;
  try {
    for await (const _ of store.list('snapshots')) yielded++;
  } catch (error) {
    return { error, yielded };
  }
  return { error: undefined, yielded };
}

describe('a listing that never ends', () => {
  it('full pages of fresh ids, always with next: a bad answer once MAX_LIST_OBJECTS are listed, not out of memory', async () => {
    let at = 1n;
    const { api, requests } = fakeApi(() => {
      const objects = Array.from({ length: MAX_LIST_LIMIT }, () => ({ type: 'snapshots', id: hexId(at++), size: 100 }));
      return { objects, next: objects.at(-1)!.id };
    });
    const { error, yielded } = await drain(new HttpRepoStore(api));
    expect(isClientError(error, 'bad-answer')).toBe(true);
    expect((error as Error).message).toMatch(/more than 1000000 objects/);
    expect(yielded).toBe(MAX_LIST_OBJECTS);
    expect(requests()).toBe(MAX_LIST_OBJECTS / MAX_LIST_LIMIT + 1);
  });

  it('the same page again and again (a next that repeats): refused at the second page', async () => {
    const objects = [{ type: 'snapshots', id: hexId(5n), size: 1 }, { type: 'snapshots', id: hexId(6n), size: 1 }];
    const { api, requests } = fakeApi(() => ({ objects, next: hexId(6n) }));
    const { error, yielded } = await drain(new HttpRepoStore(api));
    expect(isClientError(error, 'bad-answer')).toBe(true);
    expect(yielded).toBe(2);
    expect(requests()).toBe(2);
  });

  it('empty pages whose next never moves: refused at the second page', async () => {
    const { api, requests } = fakeApi(() => ({ objects: [], next: hexId(9n) }));
    const { error } = await drain(new HttpRepoStore(api));
    expect(isClientError(error, 'bad-answer')).toBe(true);
    expect(requests()).toBe(2);
  });

  it('empty pages whose next creeps on: refused after MAX_LIST_PAGES pages', async () => {
    const { api, requests } = fakeApi((_after, n) => ({ objects: [], next: hexId(BigInt(n + 1)) }));
    const { error } = await drain(new HttpRepoStore(api));
    expect(isClientError(error, 'bad-answer')).toBe(true);
    expect(requests()).toBe(MAX_LIST_PAGES);
  });

  it.for([
    ['a page larger than the protocol allows', () => ({ objects: Array.from({ length: MAX_LIST_LIMIT + 1 }, (_, i) => ({ type: 'snapshots', id: hexId(BigInt(i + 1)), size: 1 })) })],
    ['ids out of order within a page', () => ({ objects: [{ type: 'snapshots', id: hexId(7n), size: 1 }, { type: 'snapshots', id: hexId(3n), size: 1 }] })],
    ['an object of another type', () => ({ objects: [{ type: 'data', id: hexId(7n), size: 1 }] })],
  ] as const)('%s is a bad answer', async ([, page]) => {
    const { api } = fakeApi(page);
    const { error, yielded } = await drain(new HttpRepoStore(api));
    expect(isClientError(error, 'bad-answer')).toBe(true);
    expect(yielded).toBe(0);
  });

  it('an honest listing of several pages (next = the last id) is taken whole', async () => {
    const ids = Array.from({ length: 2500 }, () => randomBytes(32).toString('hex')).sort();
    const { api, requests } = fakeApi((after) => {
      const from = after === undefined ? 0 : ids.indexOf(after) + 1;
      const objects = ids.slice(from, from + MAX_LIST_LIMIT).map((id) => ({ type: 'snapshots', id, size: 1 }));
      return from + MAX_LIST_LIMIT < ids.length ? { objects, next: objects.at(-1)!.id } : { objects };
    });
    const { error, yielded } = await drain(new HttpRepoStore(api));
    expect(error).toBeUndefined();
    expect(yielded).toBe(2500);
    expect(requests()).toBe(3);
  });
});

/** The same objects, but snapshots named in `hidden` are neither listed nor served. */
class HidingStore extends TestMemoryStore {
  readonly hidden = new Set<string>();

  override async *list(type: ObjectType, options?: CallOptions): AsyncIterable<ObjectInfo> {
    for await (const o of super.list(type, options)) if (!(type === 'snapshots' && this.hidden.has(o.id))) yield o;
  }

  override async get(name: ObjectName, range?: Range, options?: CallOptions): Promise<Uint8Array> {
    if (name.type === 'snapshots' && this.hidden.has(name.id)) throw new RepoObjectMissing(name);
    return super.get(name, range, options);
  }
}

describe('a server that hides the newest snapshot (rollback)', () => {
  async function twoSnapshots() {
    const store = new HidingStore();
    const { repo, key, home } = await freshRepo(undefined, store);
    const c = new Crafter(repo);
    const tree = c.tree([{ ...meta, name: 'f', type: 'file', size: 0, content: [] }]);
    const older = await c.snapshot(tree, '2026-12-01T10:00:00.000Z');
    const newer = await c.snapshot(tree, '2026-12-02T10:00:00.000Z');
    expect((await findSnapshot(repo, 'latest')).id).toBe(newer.id); // this device has now seen `newer`
    const reopen = (acceptRollback = false) => openRepository(store, key, { home, workers: 0, acceptRollback });
    return { store, repo, home, older, newer, reopen };
  }

  it('restore latest is refused (damaged: rollback, exit 5), and the hidden snapshot\'s cached copy is kept as evidence', async () => {
    const { store, repo, home, newer, reopen } = await twoSnapshots();
    store.hidden.add(newer.id);
    const again = await reopen();
    const err = await findSnapshot(again, 'latest').catch((e: unknown) => e);
    await again.close();
    expect(isClientError(err, 'damaged')).toBe(true);
    expect((err as { details: { check: string } }).details.check).toBe('rollback');
    expect((err as Error).message).toMatch(new RegExp(`no longer lists snapshot ${newer.id.slice(0, 8)}.*--accept-rollback`));
    const cached = join(home, 'cache', repo.id, 'gone', 'snapshots', newer.id);
    expect(existsSync(cached)).toBe(true);
    expect(again.cache?.gone({ type: 'snapshots', id: newer.id })?.length).toBeGreaterThan(0);
  });

  it('--accept-rollback takes the server\'s view; the device then records it and latest is the older one without an error', async () => {
    const { store, older, newer, reopen } = await twoSnapshots();
    store.hidden.add(newer.id);
    const accepting = await reopen(true);
    expect((await findSnapshot(accepting, 'latest')).id).toBe(older.id);
    expect(accepting.accepted.map((r) => r.seen.id)).toEqual([newer.id]);
    await accepting.close();
    const after = await reopen();
    expect((await findSnapshot(after, 'latest')).id).toBe(older.id);
    expect(after.rollbacks).toEqual([]);
    await after.close();
  });

  it('a snapshot older than the newest the server lists may go (another device\'s forget): no alarm', async () => {
    const { store, older, newer, reopen } = await twoSnapshots();
    store.hidden.add(older.id);
    const again = await reopen();
    expect((await findSnapshot(again, 'latest')).id).toBe(newer.id);
    expect(again.rollbacks).toEqual([]);
    await again.close();
  });

  it('this device\'s own forget is no alarm', async () => {
    const { repo, newer, reopen } = await twoSnapshots();
    const plan = await forget(repo, { policy: { last: 1 } });
    expect(plan[0]!.remove.length).toBe(1);
    const again = await reopen();
    expect((await findSnapshot(again, 'latest')).id).toBe(newer.id);
    expect(again.rollbacks).toEqual([]);
    await again.close();
  });

  it('a newer backup after the rollback is restorable as latest, but the rollback stays on record until accepted', async () => {
    const { store, repo, newer, reopen } = await twoSnapshots();
    store.hidden.add(newer.id);
    const seenIt = await reopen();
    await expect(findSnapshot(seenIt, 'latest')).rejects.toThrow(/rollback/);
    await seenIt.close();
    const c = new Crafter(repo);
    const newest = await c.snapshot(c.tree([]), '2026-12-03T10:00:00.000Z');
    const again = await reopen();
    expect((await findSnapshot(again, 'latest')).id).toBe(newest.id);
    expect(again.rollbacks.map((r) => r.seen.id)).toEqual([newer.id]);
    await again.close();
  });
});
