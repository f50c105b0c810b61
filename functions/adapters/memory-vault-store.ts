// VaultStore in memory, for tests and experiments: the same conditional semantics as dynamo-vault-store.ts,
// attribute for attribute (one item per account; DELETE empties it and keeps the generation). Each method checks
// its condition and writes with no `await` in between, so each one is atomic as one conditional UpdateItem is.
// Bytes are copied in and out, as a round trip through DynamoDB would.

import {
  type FinishLogin, type PendingLogin, type PendingRegistration, type Registration, type VaultItem, type VaultStore,
} from '../ports.js';
import { countedFields } from './counted-item.js';

/** The stored attributes, named as the DynamoDB item's (absent = attribute not set). */
interface Attrs {
  gen?: number;
  maxAttempts?: number;
  attempts?: number;
  destroyed?: boolean;
  destroyedAt?: number;
  rec?: Uint8Array;
  sealedKey?: Uint8Array;
  cred?: Uint8Array;
  pendingId?: string;
  pendingState?: Uint8Array;
  pendingExp?: number;
  regId?: string;
  regCred?: Uint8Array;
  regUntil?: number;
  updatedAt: number;
}

const copy = (b: Uint8Array): Uint8Array => new Uint8Array(b);

/** `x < y` as a condition expression reads it: false when either attribute is missing. */
const lt = (x: number | undefined, y: number | undefined): boolean => x !== undefined && y !== undefined && x < y;

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

function removePending(a: Attrs): void {
  delete a.pendingId;
  delete a.pendingState;
  delete a.pendingExp;
}

function removeRegistration(a: Attrs): void {
  delete a.regId;
  delete a.regCred;
  delete a.regUntil;
}

function removeSecrets(a: Attrs): void {
  delete a.rec;
  delete a.sealedKey;
  delete a.cred;
}

function toItem(account: string, a: Attrs): VaultItem {
  const item: VaultItem = { account, ...countedFields(a, a.rec !== undefined) };
  if (a.rec) item.record = copy(a.rec);
  if (a.sealedKey) item.sealedKey = copy(a.sealedKey);
  if (a.cred) item.credentialId = copy(a.cred);
  if (a.pendingId !== undefined && a.pendingState) {
    item.pending = { loginId: a.pendingId, state: copy(a.pendingState), expiresAt: a.pendingExp ?? 0 };
  }
  if (a.regId !== undefined && a.regCred) {
    item.registration = { registrationId: a.regId, credentialId: copy(a.regCred), expiresAt: a.regUntil ?? 0 };
  }
  return item;
}

export class MemoryVaultStore implements VaultStore {
  private readonly items = new Map<string, Attrs>();
  private serverSetup: Uint8Array | undefined;

  async get(account: string): Promise<VaultItem | undefined> {
    const a = this.items.get(account);
    return a ? toItem(account, a) : undefined;
  }

  async startRegistration(account: string, r: PendingRegistration, now: number): Promise<void> {
    const a = this.items.get(account) ?? { updatedAt: now };
    Object.assign(a, { regId: r.registrationId, regCred: copy(r.credentialId), regUntil: r.expiresAt, updatedAt: now });
    this.items.set(account, a);
  }

  async register(account: string, r: Registration): Promise<number | undefined> {
    const a = this.items.get(account);
    if (!a || a.regId !== r.registrationId || !sameBytes(a.regCred, r.credentialId) || !lt(r.now, a.regUntil)) return undefined;
    removePending(a);
    removeRegistration(a);
    delete a.destroyedAt;
    Object.assign(a, {
      gen: (a.gen ?? 0) + 1, maxAttempts: r.maxAttempts, attempts: 0, destroyed: false,
      rec: copy(r.record), sealedKey: copy(r.sealedKey), cred: copy(r.credentialId), updatedAt: r.now,
    });
    return a.gen;
  }

  async startLogin(account: string, generation: number, p: PendingLogin, now: number): Promise<number | undefined> {
    const a = this.items.get(account);
    if (!a || a.gen !== generation || a.destroyed !== false || !a.rec || !lt(a.attempts, a.maxAttempts)) return undefined;
    Object.assign(a, {
      attempts: (a.attempts ?? 0) + 1, pendingId: p.loginId, pendingState: copy(p.state), pendingExp: p.expiresAt, updatedAt: now,
    });
    return a.attempts;
  }

  async finishLogin(account: string, f: FinishLogin): Promise<boolean> {
    const a = this.items.get(account);
    if (!a || a.gen !== f.generation || a.destroyed !== false || a.pendingId !== f.loginId
      || !lt(f.now, a.pendingExp) || a.attempts !== f.attempts) return false;
    removePending(a);
    a.updatedAt = f.now;
    if (f.outcome === 'success') {
      a.attempts = 0;
    } else if (f.destroy) {
      removeSecrets(a);
      Object.assign(a, { destroyed: true, destroyedAt: f.now });
    }
    return true;
  }

  async destroyIfSpent(account: string, generation: number, now: number): Promise<boolean> {
    const a = this.items.get(account);
    if (!a || a.gen !== generation || a.destroyed !== false || !a.rec || a.attempts === undefined || a.maxAttempts === undefined || lt(a.attempts, a.maxAttempts)) return false;
    if (a.pendingId !== undefined && (a.pendingExp === undefined || lt(now, a.pendingExp))) return false;
    removePending(a);
    removeSecrets(a);
    Object.assign(a, { destroyed: true, destroyedAt: now, updatedAt: now });
    return true;
  }

  async delete(account: string, now: number): Promise<void> {
    const a = this.items.get(account);
    if (!a) return;
    removeSecrets(a);
    removePending(a);
    removeRegistration(a);
    delete a.destroyedAt;
    Object.assign(a, { attempts: 0, destroyed: false, updatedAt: now });
  }

  async getServerSetup(): Promise<Uint8Array | undefined> {
    return this.serverSetup ? copy(this.serverSetup) : undefined;
  }

  async putServerSetupIfAbsent(sealed: Uint8Array): Promise<Uint8Array> {
    this.serverSetup ??= copy(sealed);
    return copy(this.serverSetup);
  }
}
