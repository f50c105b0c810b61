// A KMS stand-in for aws-sdk-client-mock: Encrypt/Decrypt with real AES-256-GCM, the encryption context bound
// as associated data (as KMS binds it), and KMS's exception names on failure. Lets the KmsSealer adapter and the
// handlers run whole flows without AWS.

import { DecryptCommand, EncryptCommand, InvalidCiphertextException, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { gcmOpen, gcmSeal } from '../../protocol/aead.js';

const canonical = (ctx: Record<string, string> | undefined) =>
  Buffer.from(JSON.stringify(Object.entries(ctx ?? {}).sort(([a], [b]) => a.localeCompare(b))), 'utf8');

export function fakeKms(keyId = 'arn:aws:kms:us-east-1:111122223333:key/mrk-test') {
  const key = new Uint8Array(randomBytes(32));
  const mock = mockClient(KMSClient);
  mock.on(EncryptCommand).callsFake((input: EncryptCommand['input']) => {
    const sealed = gcmSeal(key, input.Plaintext as Uint8Array, canonical(input.EncryptionContext));
    return { CiphertextBlob: sealed, KeyId: keyId };
  });
  mock.on(DecryptCommand).callsFake((input: DecryptCommand['input']) => {
    const plain = gcmOpen(key, input.CiphertextBlob as Uint8Array, canonical(input.EncryptionContext));
    if (!plain) throw new InvalidCiphertextException({ message: 'invalid ciphertext', $metadata: {} });
    return { Plaintext: plain, KeyId: keyId };
  });
  return { mock, keyId, client: new KMSClient({ region: 'us-east-1' }) };
}
