// An ObjectStore (functions/ports.ts) for the quota model test: S3 as the quota sees it, in memory, on a test clock.
// A presigned PUT is a record (key, signed size, expiry); once the service has handed it out (`handOut`), `putByUrl`
// uses it as a client would, any number of times while it is valid; objects remember when they were written. No
// bytes: only sizes matter to the quota.

import type { Clock, ObjectStore, PresignedUpload, StoredObject } from '../../functions/ports.js';

export interface IssuedUrl {
  key: string;
  size: number;
  /** Given to the client in an answer (a URL of a refused request never is). */
  handedOut: boolean;
  /** Epoch ms; the URL works while the clock is before it (S3 checks X-Amz-Date + X-Amz-Expires). */
  expiresAt: number;
}

export class ModelObjectStore implements ObjectStore {
  readonly objects = new Map<string, { size: number; lastModified: number }>();
  readonly urls: IssuedUrl[] = [];
  /** Deleted objects, recoverable (undeletePage). */
  readonly deleted = new Map<string, { size: number; lastModified: number; deletedAt: number }>();

  constructor(private readonly clock: Clock) {}

  async presignPut(key: string, size: number, expiresInS: number): Promise<PresignedUpload> {
    this.urls.push({ key, size, handedOut: false, expiresAt: this.clock.now() + expiresInS * 1000 });
    return { url: `model:put/${this.urls.length - 1}`, headers: { 'content-length': String(size) } };
  }

  async presignGet(key: string): Promise<string> {
    return `model:get/${key}`;
  }

  /** Marks the URL of an answer as the client's. */
  handOut(url: string): void {
    const u = this.urls[Number(/^model:put\/(\d+)$/.exec(url)?.[1] ?? NaN)];
    if (!u) throw new Error(`not a URL of this store: ${url}`);
    u.handedOut = true;
  }

  /** URLs the client holds. */
  handedOut(): IssuedUrl[] {
    return this.urls.filter((u) => u.handedOut);
  }

  /** A client's PUT to a URL it holds: stores the object if the URL is still valid; false if S3 would refuse. */
  putByUrl(u: IssuedUrl): boolean {
    const now = this.clock.now();
    if (!u.handedOut || now >= u.expiresAt) return false;
    this.objects.set(u.key, { size: u.size, lastModified: now });
    return true;
  }

  async list(prefix: string, options: { startAfter?: string; maxKeys: number }): Promise<{ objects: StoredObject[]; truncated: boolean }> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(prefix) && (options.startAfter === undefined || k > options.startAfter)).sort();
    const page = keys.slice(0, options.maxKeys);
    return { objects: page.map((key) => ({ key, size: this.objects.get(key)!.size })), truncated: keys.length > page.length };
  }

  async head(key: string): Promise<{ size: number; lastModified: number } | undefined> {
    const o = this.objects.get(key);
    return o ? { ...o } : undefined;
  }

  async deleteObjects(keys: readonly string[]): Promise<void> {
    for (const k of keys) {
      const o = this.objects.get(k);
      if (o) this.deleted.set(k, { ...o, deletedAt: this.clock.now() });
      this.objects.delete(k);
    }
  }

  /** Deferred deletion as in a versioned bucket: what was deleted since `since` comes back (one page, all keys). */
  async undeletePage(prefix: string, since: number): Promise<{ restored: string[] }> {
    const restored: string[] = [];
    for (const [k, o] of this.deleted) {
      if (!k.startsWith(prefix) || o.deletedAt < since || this.objects.has(k)) continue;
      this.objects.set(k, { size: o.size, lastModified: o.lastModified });
      this.deleted.delete(k);
      restored.push(k);
    }
    return { restored: restored.sort() };
  }

  /** Bytes stored under `prefix`. */
  stored(prefix: string): number {
    let n = 0;
    for (const [k, o] of this.objects) if (k.startsWith(prefix)) n += o.size;
    return n;
  }

  /**
   * The most the account could hold if every URL still valid were used now: per name, the larger of what is stored
   * and the largest valid URL (a PUT replaces the object of its name).
   */
  potential(prefix: string): number {
    const now = this.clock.now();
    const most = new Map<string, number>();
    for (const [k, o] of this.objects) if (k.startsWith(prefix)) most.set(k, o.size);
    for (const u of this.handedOut()) if (u.key.startsWith(prefix) && now < u.expiresAt) most.set(u.key, Math.max(most.get(u.key) ?? 0, u.size));
    let n = 0;
    for (const v of most.values()) n += v;
    return n;
  }
}
