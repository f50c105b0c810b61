// The AWS seed of a realm's registration key (functions/adapters/kms-realm-key-seed.ts): one KMS GenerateMac
// (HMAC_SHA_256) over "bkv/realm/v1/realm-key-seed" ‖ realmId under the configured key, its MAC the seed; a MAC of
// the wrong size or a refused call is an error, never a key derived from nothing.

import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { kmsRealmKeySeed, realmKeySeedMessage } from '../../functions/adapters/kms-realm-key-seed.js';

const kms = mockClient(KMSClient);
const realmId = new Uint8Array(16).fill(2);
beforeEach(() => kms.reset());

describe('KMS realm key seed', () => {
  it('is the MAC of label ‖ realm id under the realm key', async () => {
    const mac = new Uint8Array(32).fill(9);
    kms.on(GenerateMacCommand).resolves({ Mac: mac });
    expect(await kmsRealmKeySeed(new KMSClient({}), 'arn:key', realmId)).toEqual(mac);
    const input = kms.commandCalls(GenerateMacCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ KeyId: 'arn:key', MacAlgorithm: 'HMAC_SHA_256' });
    expect(Buffer.from(input.Message!).toString('latin1')).toBe(`bkv/realm/v1/realm-key-seed${Buffer.from(realmId).toString('latin1')}`);
    expect(realmKeySeedMessage(realmId)).toEqual(input.Message);
  });

  it('refuses a short MAC and a refused call', async () => {
    kms.on(GenerateMacCommand).resolves({ Mac: new Uint8Array(16) });
    await expect(kmsRealmKeySeed(new KMSClient({}), 'arn:key', realmId)).rejects.toMatchObject({ code: 'internal' });
    kms.on(GenerateMacCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(kmsRealmKeySeed(new KMSClient({}), 'arn:key', realmId)).rejects.toThrow();
  });
});
