// Attacker: a false storage server (the operator, a writer of S3 or of the API's answers) that cannot forge an
// object but answers listings as it likes and hides objects (docs/threat-model.md, "Writer of S3"). What it gets:
// no endless listing (a clean bad-answer within docs/repository.md "Limits"), and no silent rollback: a device that
// has seen a newer snapshot refuses `latest` when the server hides it, and keeps its cached copy as evidence.

import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../../client/http.js';
import { isClientError } from '../../client/errors.js';
import { HttpRepoStore } from '../../client/repo/http-store.js';
import { MAX_LIST_LIMIT, MAX_LIST_OBJECTS, MAX_LIST_PAGES } from '../../protocol/repo-schemas.js';

const hexId = (n: bigint) => n.toString(16).padStart(64, '0');

/** An API that answers every listing request with `page(after)`, counting the requests. */
function fakeApi(page: (after: string | undefined, n: number) => unknown): { api: ApiClient; requests: () => number } {
  let n = 0;
  const api = {
    request: async (method: string, path: string) => {
      expect(method).toBe('GET');
      const after = new URL(path, 'http://x').searchParams.get('after') ?? undefined;
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
