// Failure throttle of the local sign-in pages (docs/threat-model.md "Another user of the same machine"): a token
// bucket per key (an account name, a client), in memory. A failed password check takes a token; with none left a
// try is refused before the password is checked, until a token has come back. A bucket that is full again is the
// same as no bucket, so it is dropped: memory holds only keys that failed recently, at most `maxKeys` of them;
// when that many are throttled at once, a new key is refused too (fail closed) rather than letting a flood of
// names push out the buckets that hold an attacker back. Hand-written because it is a dozen lines over a Map and
// the throttling libraries on npm keep unbounded maps or need a store.

export interface BucketPolicy {
  /** Failures allowed in a burst. */
  capacity: number;
  /** One token comes back every `refillMs`. */
  refillMs: number;
  /** Most keys held at once. */
  maxKeys: number;
}

/** Per account name (existing or not, so the throttle tells nothing about names): 5 tries, then one per 3 minutes. */
export const ACCOUNT_POLICY: BucketPolicy = { capacity: 5, refillMs: 3 * 60_000, maxKeys: 10_000 };
/** Per client (every loopback address is one client): 20 tries, then one per 30 seconds. */
export const CLIENT_POLICY: BucketPolicy = { capacity: 20, refillMs: 30_000, maxKeys: 10_000 };

interface Bucket {
  tokens: number;
  at: number;
}

export class FailureThrottle {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly policy: BucketPolicy, private readonly now: () => number = Date.now) {}

  /** The tokens of `key` now (capacity for an unknown key). */
  private level(key: string, t: number): number {
    const b = this.buckets.get(key);
    if (!b) return this.policy.capacity;
    return Math.min(this.policy.capacity, b.tokens + Math.floor((t - b.at) / this.policy.refillMs));
  }

  /** 0 when `key` may try now; otherwise the milliseconds until it may. */
  waitMs(key: string): number {
    const t = this.now();
    if (this.level(key, t) > 0) return this.buckets.has(key) || this.buckets.size < this.policy.maxKeys || this.sweep(t) ? 0 : this.policy.refillMs;
    const b = this.buckets.get(key)!;
    return this.policy.refillMs - ((t - b.at) % this.policy.refillMs);
  }

  /** Records a failure of `key` (call only after waitMs(key) was 0). */
  fail(key: string): void {
    const t = this.now();
    const tokens = this.level(key, t);
    const b = this.buckets.get(key);
    // keep the partial refill: the time of the last whole token, not now
    const at = b && tokens < this.policy.capacity ? b.at + Math.floor((t - b.at) / this.policy.refillMs) * this.policy.refillMs : t;
    if (!b && this.buckets.size >= this.policy.maxKeys && !this.sweep(t)) return;
    this.buckets.set(key, { tokens: Math.max(0, tokens - 1), at });
  }

  /** Forgets `key` (its password was right). */
  reset(key: string): void {
    this.buckets.delete(key);
  }

  /** Number of keys held (tests: memory stays bounded). */
  get size(): number {
    return this.buckets.size;
  }

  /** Drops full buckets; true when there is room for another key. */
  private sweep(t: number): boolean {
    for (const [key] of this.buckets) if (this.level(key, t) >= this.policy.capacity) this.buckets.delete(key);
    return this.buckets.size < this.policy.maxKeys;
  }
}

/** The throttle key of a client: its address, every loopback address (127.0.0.0/8, ::1) being one client. */
export function clientKey(address: string | undefined): string {
  const a = (address ?? '').replace(/^::ffff:/, '');
  if (a === '::1' || /^127\./.test(a)) return 'loopback';
  return a || 'unknown';
}
