// Sealer for the local runtime and tests: AES-256-GCM under a 32-byte key (kept in the data dir by local/),
// the context {purpose, account} bound as associated data, as KMS binds its encryption context.
// Layout: 0x01 ‖ nonce(12) ‖ ciphertext ‖ tag(16).

import { BkvError } from '../../protocol/errors.js';
import { gcmOpen, gcmSeal, KEY_BYTES } from '../../protocol/aead.js';
import type { RandomBytes } from '../../protocol/random.js';
import type { SealContext, Sealer } from '../ports.js';

const VERSION = 1;

function aad(context: SealContext): Uint8Array {
  return Buffer.from(`bkv-local-sealer/v1\0${context.purpose}\0${context.account}`, 'utf8');
}

export class LocalSealer implements Sealer {
  constructor(private readonly key: Uint8Array, private readonly random?: RandomBytes) {
    if (key.length !== KEY_BYTES) throw new RangeError('local sealer key must be 32 bytes');
  }

  async seal(plaintext: Uint8Array, context: SealContext): Promise<Uint8Array> {
    return new Uint8Array(Buffer.concat([Buffer.of(VERSION), gcmSeal(this.key, plaintext, aad(context), this.random)]));
  }

  async unseal(sealed: Uint8Array, context: SealContext): Promise<Uint8Array> {
    const out = sealed[0] === VERSION ? gcmOpen(this.key, sealed.subarray(1), aad(context)) : undefined;
    if (out === undefined) throw new BkvError('internal', 'stored data does not unseal');
    return out;
  }
}
