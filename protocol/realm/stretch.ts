// Password stretching of the realm protocol (docs/protocol.md "Realms"): Argon2id from @noble/hashes with bkv's
// fixed parameters (protocol/constants.ts OPAQUE_KEY_STRETCHING: t = 3, m = 64 MiB, p = 4), 64 bytes out, salted
// with the registration's random version bound to the account and the realm set (Juicebox's `version` and
// `userInfo`). The first half is the OPRF input (access key), the second the encryption seed.

import { argon2idAsync } from '@noble/hashes/argon2.js';
import { createHash } from 'node:crypto';
import { OPAQUE_KEY_STRETCHING } from '../constants.js';
import { REALM_LABELS, VERSION_BYTES } from './constants.js';
import { lengthPrefixed } from './encoding.js';

/** The same shape as the OPAQUE setting, so one test/benchmark option serves both vault protocols. */
export interface KeyStretching {
  readonly 'argon2id-custom': { readonly iterations: number; readonly memory: number; readonly parallelism: number };
}

export const REALM_KEY_STRETCHING: KeyStretching = OPAQUE_KEY_STRETCHING;

export interface Stretched {
  accessKey: Uint8Array;
  encryptionSeed: Uint8Array;
}

/** salt = SHA-256(label ‖ u16(len(account)) ‖ account ‖ realmSetDigest ‖ version). */
export function stretchSalt(account: string, realmSetDigest: Uint8Array, version: Uint8Array): Uint8Array {
  if (version.length !== VERSION_BYTES) throw new RangeError('version must be 16 bytes');
  return new Uint8Array(createHash('sha256')
    .update(REALM_LABELS.salt).update(lengthPrefixed(Buffer.from(account, 'utf8'))).update(realmSetDigest).update(version)
    .digest());
}

export async function stretchPassword(password: string, salt: Uint8Array, stretching: KeyStretching = REALM_KEY_STRETCHING): Promise<Stretched> {
  const { iterations, memory, parallelism } = stretching['argon2id-custom'];
  const out = await argon2idAsync(Buffer.from(password, 'utf8'), salt, { t: iterations, m: memory, p: parallelism, dkLen: 64 });
  return { accessKey: out.slice(0, 32), encryptionSeed: out.slice(32, 64) };
}
