// RealmStore in memory, for tests and the attacker harness: the same conditional semantics as
// dynamo-realm-store.ts, attribute for attribute. Each method checks its condition and writes with no `await` in
// between, so each one is atomic as one conditional UpdateItem is. Bytes are copied in and out.

import type { FinishRecovery, PendingRecovery, RealmItem, RealmRegistration, RealmStore } from '../ports.js';
import { countedFields } from './counted-item.js';

interface Attrs {
  gen?: number;
  maxAttempts?: number;
  attempts?: number;
  destroyed?: boolean;
  ver?: Uint8Array;
  rec?: Uint8Array;
  chal?: Uint8Array;
  chalExp?: number;
  updatedAt: number;
}

const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);
const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

function toItem(account: string, a: Attrs): RealmItem {
  const item: RealmItem = { account, ...countedFields(a, a.rec !== undefined) };
  if (a.ver) item.version = copy(a.ver);
  if (a.rec) item.record = copy(a.rec);
  if (a.chal && a.chalExp !== undefined) item.pending = { challenge: copy(a.chal), expiresAt: a.chalExp };
  return item;
}

export class MemoryRealmStore implements RealmStore {
  private readonly items = new Map<string, Attrs>();

  async get(account: string): Promise<RealmItem | undefined> {
    const a = this.items.get(account);
    return a ? toItem(account, a) : undefined;
  }

  async register(account: string, r: RealmRegistration): Promise<number> {
    const gen = (this.items.get(account)?.gen ?? 0) + 1;
    this.items.set(account, {
      gen, maxAttempts: r.maxAttempts, attempts: 0, destroyed: false, ver: copy(r.version), rec: copy(r.record), updatedAt: r.now,
    });
    return gen;
  }

  async startRecovery(account: string, generation: number, p: PendingRecovery, now: number): Promise<number | undefined> {
    const a = this.items.get(account);
    if (!a || a.gen !== generation || a.destroyed || !a.rec || a.attempts === undefined || a.maxAttempts === undefined) return undefined;
    if (!(a.attempts < a.maxAttempts)) return undefined;
    a.attempts += 1;
    a.chal = copy(p.challenge);
    a.chalExp = p.expiresAt;
    a.updatedAt = now;
    return a.attempts;
  }

  async finishRecovery(account: string, f: FinishRecovery): Promise<boolean> {
    const a = this.items.get(account);
    if (!a || a.gen !== f.generation || a.destroyed || !same(a.chal, f.challenge) || !(a.chalExp! > f.now) || a.attempts !== f.attempts) return false;
    if (f.outcome === 'failure' && f.destroy && !(a.attempts >= a.maxAttempts!)) return false;
    delete a.chal;
    delete a.chalExp;
    a.updatedAt = f.now;
    if (f.outcome === 'success') a.attempts = 0;
    else if (f.destroy) {
      a.destroyed = true;
      delete a.rec;
      delete a.ver;
    }
    return true;
  }

  async destroyIfSpent(account: string, generation: number, now: number): Promise<boolean> {
    const a = this.items.get(account);
    if (!a || a.gen !== generation || a.destroyed || !a.rec || !(a.attempts! >= a.maxAttempts!)) return false;
    if (a.chal && a.chalExp !== undefined && a.chalExp > now) return false;
    a.destroyed = true;
    delete a.rec;
    delete a.ver;
    delete a.chal;
    delete a.chalExp;
    a.updatedAt = now;
    return true;
  }

  async delete(account: string, now: number): Promise<void> {
    const a = this.items.get(account);
    if (!a) return;
    this.items.set(account, { gen: a.gen ?? 0, attempts: 0, destroyed: false, updatedAt: now });
  }

  /** Test hook: the raw item, as a table writer or reader would see it. */
  raw(account: string): Readonly<Attrs> | undefined {
    return this.items.get(account);
  }

  /** Test hook: a table writer's rollback of the counter (docs/threat-model.md, the realm operator row). */
  setAttempts(account: string, attempts: number): void {
    const a = this.items.get(account);
    if (a) a.attempts = attempts;
  }
}
