// Sealer on AWS KMS: Encrypt/Decrypt under one symmetric multi-Region key, with the encryption context
// {purpose, account} on every call (invariant 6), which the key policy also requires (lib/).
// Every plaintext sealed here is at most a few KiB, within KMS Encrypt's 4096-byte limit.

import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { BkvError } from '../../protocol/errors.js';
import type { SealContext, Sealer } from '../ports.js';
import { errorName, translateAwsError } from './aws-errors.js';

const UNSEAL_REFUSED = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

export class KmsSealer implements Sealer {
  constructor(private readonly kms: KMSClient, private readonly keyId: string) {}

  async seal(plaintext: Uint8Array, context: SealContext): Promise<Uint8Array> {
    try {
      const out = await this.kms.send(new EncryptCommand({
        KeyId: this.keyId,
        Plaintext: plaintext,
        EncryptionContext: { purpose: context.purpose, account: context.account },
      }));
      if (!out.CiphertextBlob) throw new BkvError('internal', 'kms returned no ciphertext');
      return out.CiphertextBlob;
    } catch (e) {
      throw translateAwsError(e, 'key service');
    }
  }

  async unseal(sealed: Uint8Array, context: SealContext): Promise<Uint8Array> {
    try {
      const out = await this.kms.send(new DecryptCommand({
        KeyId: this.keyId,
        CiphertextBlob: sealed,
        EncryptionContext: { purpose: context.purpose, account: context.account },
      }));
      if (!out.Plaintext) throw new BkvError('internal', 'kms returned no plaintext');
      return out.Plaintext;
    } catch (e) {
      if (UNSEAL_REFUSED.has(errorName(e) ?? '')) throw new BkvError('internal', 'stored data does not unseal', { cause: e });
      throw translateAwsError(e, 'key service');
    }
  }
}
