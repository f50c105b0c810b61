// The one injectable source of randomness: functions that draw random bytes take a RandomBytes so tests can
// replay a fixed stream (docs/threat-model.md); node:crypto's CSPRNG otherwise.

import { randomBytes as nodeRandomBytes } from 'node:crypto';

/** `n` random bytes. */
export type RandomBytes = (n: number) => Uint8Array;

export const defaultRandomBytes: RandomBytes = (n) => new Uint8Array(nodeRandomBytes(n));
