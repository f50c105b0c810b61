// The guess-counter fields a vault item and a realm item share (functions/ports.ts VaultItem, RealmItem), read the
// same way from a stored item by every adapter (DynamoDB attributes or the memory stores' own): destroyed wins, a
// stored record means live, absent counters are 0.

import type { VaultState } from '../ports.js';

export interface CountedFields {
  state: VaultState;
  generation: number;
  maxAttempts: number;
  attempts: number;
  updatedAt: number;
}

export function countedFields(a: { destroyed?: unknown; gen?: unknown; maxAttempts?: unknown; attempts?: unknown; updatedAt?: unknown }, hasRecord: boolean): CountedFields {
  return {
    state: a.destroyed === true ? 'destroyed' : hasRecord ? 'live' : 'empty',
    generation: Number(a.gen ?? 0),
    maxAttempts: Number(a.maxAttempts ?? 0),
    attempts: Number(a.attempts ?? 0),
    updatedAt: Number(a.updatedAt),
  };
}
