// AES-256-GCM and HKDF-SHA256 from node:crypto, with the length checks every caller needs.
// Layout of a sealed message: 12-byte nonce ‖ ciphertext ‖ 16-byte tag.

import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { defaultRandomBytes, type RandomBytes } from './random.js';

export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export function hkdf32(ikm: Uint8Array, info: string, salt: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (ikm.length < 32) throw new RangeError('hkdf input key too short');
  return new Uint8Array(hkdfSync('sha256', ikm, salt, Buffer.from(info, 'utf8'), KEY_BYTES));
}

export function gcmSeal(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array, random: RandomBytes = defaultRandomBytes): Uint8Array {
  if (key.length !== KEY_BYTES) throw new RangeError('aes-256-gcm key must be 32 bytes');
  const nonce = random(NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new RangeError('nonce must be 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]));
}

/** Returns the plaintext, or undefined when the message is malformed or does not authenticate. */
export function gcmOpen(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | undefined {
  if (key.length !== KEY_BYTES) throw new RangeError('aes-256-gcm key must be 32 bytes');
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    const out = Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
    return new Uint8Array(out);
  } catch {
    return undefined;
  }
}
