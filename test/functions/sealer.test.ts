// The Sealer suite against each adapter: the local AES-GCM sealer and the KMS sealer over a KMS stand-in.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { EncryptCommand } from '@aws-sdk/client-kms';
import { KmsSealer } from '../../functions/adapters/kms-sealer.js';
import { LocalSealer } from '../../functions/adapters/local-sealer.js';
import { fakeKms } from '../helpers/fake-kms.js';
import { sealerSuite } from './sealer.case.js';

const kms = fakeKms();
afterAll(() => kms.mock.restore());

sealerSuite('local AES-256-GCM', () => new LocalSealer(new Uint8Array(randomBytes(32))));
sealerSuite('KMS', () => new KmsSealer(kms.client, kms.keyId));

describe('KMS sealer', () => {
  it('sends the key id and the {purpose, account} encryption context on every Encrypt', async () => {
    kms.mock.resetHistory();
    await new KmsSealer(kms.client, kms.keyId).seal(new Uint8Array(3), { purpose: 'login-state', account: 'bob' });
    expect(kms.mock).toHaveReceivedCommandWith(EncryptCommand, {
      KeyId: kms.keyId, EncryptionContext: { purpose: 'login-state', account: 'bob' },
    });
  });

  it('rejects a local sealer key that is not 32 bytes', () => {
    expect(() => new LocalSealer(new Uint8Array(31))).toThrow(RangeError);
  });
});
