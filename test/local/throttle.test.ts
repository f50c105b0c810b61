// The sign-in failure throttle (local/throttle.ts): a token bucket per key, refilled at exact boundaries, memory
// bounded by dropping full buckets and refusing new keys (fail closed) when every held key is still throttled,
// and every loopback address counted as one client.

import { describe, expect, it } from 'vitest';
import { FailureThrottle, clientKey, type BucketPolicy } from '../../local/throttle.js';

const POLICY: BucketPolicy = { capacity: 3, refillMs: 1000, maxKeys: 4 };

function throttle() {
  let t = 0;
  const th = new FailureThrottle(POLICY, () => t);
  return { th, at: (ms: number) => (t = ms) };
}

describe('FailureThrottle', () => {
  it('allows capacity failures, then refuses until one token has come back', () => {
    const { th, at } = throttle();
    for (let i = 0; i < 3; i++) {
      expect(th.waitMs('a')).toBe(0);
      th.fail('a');
    }
    expect(th.waitMs('a')).toBe(1000);
    at(999);
    expect(th.waitMs('a')).toBe(1);
    at(1000);
    expect(th.waitMs('a')).toBe(0);
    th.fail('a');
    expect(th.waitMs('a')).toBe(1000); // the partial refill is kept: the next token is due at 2000
    expect(th.waitMs('b')).toBe(0); // keys are independent
  });

  it.for([[2999, 2], [3000, 3]] as const)('after %i ms a drained bucket holds %i tokens', ([ms, tokens]) => {
    const { th, at } = throttle();
    for (let i = 0; i < 3; i++) th.fail('a');
    at(ms);
    let allowed = 0;
    while (th.waitMs('a') === 0 && allowed < 10) {
      th.fail('a');
      allowed++;
    }
    expect(allowed).toBe(tokens);
  });

  it('reset forgets a key', () => {
    const { th } = throttle();
    for (let i = 0; i < 3; i++) th.fail('a');
    th.reset('a');
    expect(th.waitMs('a')).toBe(0);
    expect(th.size).toBe(0);
  });

  it('holds at most maxKeys: full buckets are dropped, and a new key is refused while all held keys are throttled', () => {
    const { th, at } = throttle();
    for (const k of ['a', 'b', 'c', 'd']) th.fail(k);
    expect(th.size).toBe(4);
    expect(th.waitMs('e')).toBe(1000); // fail closed: no room, and no held bucket is full yet
    th.fail('e');
    expect(th.size).toBe(4);
    at(1000); // every held bucket is full again
    expect(th.waitMs('e')).toBe(0);
    th.fail('e');
    expect(th.size).toBe(1);
    for (let i = 0; i < 10_000; i++) th.fail(`flood-${i}`);
    expect(th.size).toBeLessThanOrEqual(4);
  });
});

describe('clientKey', () => {
  it.for([
    ['127.0.0.1', 'loopback'], ['127.3.4.5', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.2', 'loopback'],
    ['192.0.2.7', '192.0.2.7'], [undefined, 'unknown'],
  ] as const)('%s is client %s', ([address, key]) => {
    expect(clientKey(address)).toBe(key);
  });
});
