// A model-based test of the repository quota (docs/protocol.md "Usage and quota"): fast-check drives random
// batches of concurrent moves of one account (upload URLs, PUTs through any URL still valid, including after a delete
// of its object, an exclusive lock taken (with its recount) and given up, deletes under it, the same delete sent
// several times at once, a lock-recount-unlock, delete-all, time passing) against the real RepoService over each RepoItemStore adapter, with fast-check's scheduler
// choosing the order in which every port call runs. After every batch:
//   - what the account stores, plus what its still-valid URLs could add, never passes the quota
//     (so `stored ≤ quota + in-flight` for any in-flight uploads, and stronger: stored + in-flight ≤ quota);
//   - the usage never falls below what is stored (no delete releases more than it removed);
// and at the end, once every URL has expired, an exclusive lock's recount makes the usage exactly what is stored.

import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRepoItemStore } from '../../functions/adapters/dynamo-repo-store.js';
import { documentClient } from '../../functions/adapters/document-client.js';
import { MemoryRepoItemStore } from '../../functions/adapters/memory-repo-store.js';
import type { RepoItemStore } from '../../functions/ports.js';
import { repoPrefix } from '../../functions/repo/keys.js';
import { UPLOAD_GRACE_MS } from '../../functions/repo/quota.js';
import { RepoService } from '../../functions/repo/service.js';
import { startDynamo, type LocalDynamo } from '../../local/dynamo.js';
import { BkvError, type ErrorCode } from '../../protocol/errors.js';
import { ManualClock } from '../helpers/clock.js';
import { ModelObjectStore } from '../helpers/model-object-store.js';

const QUOTA = 2 ** 20;
const TTL_S = 60;
/** A small pool of names, so uploads retry names, deletes hit objects, and URLs outlive their objects. */
const IDS = Array.from({ length: 4 }, (_, i) => String(i).repeat(64));
const SIZES = [1, 1000, 10_000, 100_000, 300_000, QUOTA / 2, QUOTA];
/** Answers a move may get besides success. */
const EXPECTED: ErrorCode[] = ['quota-exceeded', 'repository-locked', 'lock-lost', 'unavailable'];

type Move =
  | { kind: 'upload'; objects: { id: number; size: number }[] }
  | { kind: 'put'; url: number }
  | { kind: 'tick'; ms: number }
  | { kind: 'recount' }
  | { kind: 'lock' }
  | { kind: 'unlock' }
  | { kind: 'delete'; ids: number[]; copies: number }
  | { kind: 'delete-all' };

const id = fc.integer({ min: 0, max: IDS.length - 1 });
const move: fc.Arbitrary<Move> = fc.oneof(
  { weight: 4, arbitrary: fc.uniqueArray(fc.record({ id, size: fc.constantFrom(...SIZES) }), { minLength: 1, maxLength: 3, selector: (o) => o.id }).map((objects) => ({ kind: 'upload' as const, objects })) },
  { weight: 8, arbitrary: fc.nat(40).map((url) => ({ kind: 'put' as const, url })) },
  { weight: 3, arbitrary: fc.constantFrom(1000, TTL_S * 1000, 20 * 60_000, 40 * 60_000).map((ms) => ({ kind: 'tick' as const, ms })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'recount' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'lock' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'unlock' as const }) },
  { weight: 4, arbitrary: fc.record({ ids: fc.uniqueArray(id, { minLength: 1, maxLength: 3 }), copies: fc.integer({ min: 1, max: 4 }) }).map((p) => ({ kind: 'delete' as const, ...p })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'delete-all' as const }) },
);
const batches = fc.array(fc.array(move, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 24 });

/** Every method call on `target` waits for the scheduler before it runs: the scheduler picks the interleaving. */
function scheduled<T extends object>(s: fc.Scheduler, target: T, label: string): T {
  return new Proxy(target, {
    get(t, p, r) {
      const v = Reflect.get(t, p, r) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => s.schedule(Promise.resolve(), `${label}.${String(p)}`).then(() => (v as (...a: unknown[]) => unknown).apply(t, args));
    },
  });
}

interface Stats {
  runs: number;
  batches: number;
  moves: Record<string, number>;
  answers: Record<string, number>;
  maxPotential: number;
}

async function runModel(items: RepoItemStore, s: fc.Scheduler, plan: Move[][], stats: Stats): Promise<void> {
  const account = `acct-${randomUUID()}`;
  const prefix = repoPrefix(account);
  const clock = new ManualClock(Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 3_600_000));
  const objects = new ModelObjectStore(clock);
  const service = new RepoService({
    items: scheduled(s, items, 'items'), objects: scheduled(s, objects, 'objects'), clock,
    config: { quotaBytes: QUOTA, urlTtlSeconds: TTL_S },
    sleep: () => s.schedule(Promise.resolve(), 'sleep'),
  });
  const count = (o: Record<string, number>, k: string) => void (o[k] = (o[k] ?? 0) + 1);
  /** The exclusive lock the client holds (it may have expired meanwhile: then its deletes are lock-lost). */
  let lockId: string | undefined;

  const run = async (m: Move): Promise<void> => {
    count(stats.moves, m.kind);
    try {
      switch (m.kind) {
        case 'upload':
          for (const u of (await service.uploads(account, m.objects.map((o) => ({ type: 'data', id: IDS[o.id]!, size: o.size })))).uploads) objects.handOut(u.url);
          break;
        case 'put': {
          await s.schedule(Promise.resolve(), 'put');
          const held = objects.handedOut();
          if (held.length > 0) count(stats.answers, objects.putByUrl(held[m.url % held.length]!) ? 'put stored' : 'put refused (expired)');
          return;
        }
        case 'tick':
          await s.schedule(Promise.resolve(), 'tick');
          clock.advance(m.ms);
          return;
        case 'recount': {
          const lock = await service.lock(account, { exclusive: true, ttlSeconds: 30 });
          await service.unlock(account, lock.lockId);
          break;
        }
        case 'lock':
          lockId = (await service.lock(account, { exclusive: true, ttlSeconds: 600 })).lockId;
          break;
        case 'unlock':
          if (lockId !== undefined) await service.unlock(account, lockId);
          lockId = undefined;
          break;
        case 'delete': {
          const names = m.ids.map((i) => ({ type: 'data' as const, id: IDS[i]! }));
          // A client deletes under the exclusive lock it holds, taking one first if it holds none.
          const held = lockId ?? (lockId = (await service.lock(account, { exclusive: true, ttlSeconds: 600 })).lockId);
          await Promise.all(Array.from({ length: m.copies }, () => service.delete(account, held, names).then(() => count(stats.answers, 'delete: ok'), (e: unknown) => {
            if (!(e instanceof BkvError) || !EXPECTED.includes(e.code)) throw e;
            count(stats.answers, `delete: ${e.code}`);
            if (e.code === 'lock-lost' && lockId === held) lockId = undefined; // it expired: the next delete takes another
          })));
          return;
        }
        case 'delete-all':
          await service.deleteAll(account);
          break;
      }
      count(stats.answers, `${m.kind}: ok`);
    } catch (e) {
      if (!(e instanceof BkvError) || !EXPECTED.includes(e.code)) throw e;
      count(stats.answers, `${m.kind}: ${e.code}`);
    }
  };

  for (const batch of plan) {
    await s.waitFor(Promise.all(batch.map(run)));
    stats.batches++;
    const stored = objects.stored(prefix);
    const potential = objects.potential(prefix);
    stats.maxPotential = Math.max(stats.maxPotential, potential);
    expect(potential, 'stored + what valid URLs could add').toBeLessThanOrEqual(QUOTA);
    expect((await items.get(account))?.usedBytes ?? 0, 'usage against stored').toBeGreaterThanOrEqual(stored);
  }
  // Every URL expired (a reservation counts for at most 2 × (URL lifetime + grace)), every lock and lease too.
  clock.advance(2 * (TTL_S * 1000 + UPLOAD_GRACE_MS) + 1);
  await s.waitFor((async () => {
    if (lockId !== undefined) await service.unlock(account, lockId);
    const lock = await service.lock(account, { exclusive: true, ttlSeconds: 30 });
    await service.unlock(account, lock.lockId);
  })());
  expect((await items.get(account))?.usedBytes ?? 0, 'usage after a quiet recount').toBe(objects.stored(prefix));
  stats.runs++;
}

function modelSuite(name: string, items: () => RepoItemStore, numRuns: number): void {
  describe(`the quota model: ${name}`, () => {
    it(`stored + in-flight ≤ quota and usage ≥ stored after every batch of concurrent moves (${numRuns} runs)`, async () => {
      const stats: Stats = { runs: 0, batches: 0, moves: {}, answers: {}, maxPotential: 0 };
      await fc.assert(fc.asyncProperty(fc.scheduler(), batches, async (s, plan) => runModel(items(), s, plan, stats)), { numRuns });
      // The runs reached the cases that matter: full quota refusals, PUTs after deletes, duplicate deletes.
      expect(stats.runs).toBe(numRuns);
      expect(stats.answers['upload: quota-exceeded'] ?? 0).toBeGreaterThan(0);
      expect(stats.answers['put stored'] ?? 0).toBeGreaterThan(0);
      expect(stats.answers['delete: ok'] ?? 0).toBeGreaterThan(0);
      expect(stats.maxPotential).toBeGreaterThan(QUOTA / 2);
      console.log(`quota model (${name}): ${stats.runs} runs, ${stats.batches} batches, moves ${JSON.stringify(stats.moves)}, answers ${JSON.stringify(stats.answers)}, largest stored + in-flight ${stats.maxPotential} of ${QUOTA}`);
    }, 300_000);
  });
}

const memory = new MemoryRepoItemStore();
modelSuite('in memory', () => memory, 300);

let dynamo: LocalDynamo;
let dynamoStore: DynamoRepoItemStore;
beforeAll(async () => {
  dynamo = await startDynamo(undefined, 'repo-quota-model');
  dynamoStore = new DynamoRepoItemStore(documentClient(dynamo.client), 'repo-quota-model');
});
afterAll(async () => dynamo.close());
modelSuite('DynamoDB (dynalite)', () => dynamoStore, 30);
