// Invariants 6 and 7: the account is only the verified token's `sub`; B's token can neither read nor change
// A's vault, and a sealed blob copied from A's item into B's does not unseal there.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoVaultStore } from '../../functions/adapters/dynamo-vault-store.js';
import { LocalSealer } from '../../functions/adapters/local-sealer.js';
import { documentClient } from '../../functions/adapters/document-client.js';
import { buildVaultService } from '../../functions/vault/deps.js';
import type { VaultService } from '../../functions/vault/service.js';
import { startDynamo, type LocalDynamo } from '../../local/dynamo.js';
import { BkvError } from '../../protocol/errors.js';
import { post, startTestRuntime, type TestRuntime } from '../helpers/local.js';
import { loginFinishFor, loginStartFor, registrationFor } from '../helpers/opaque-client.js';
import { sealBackupKey } from '../../protocol/key-seal.js';
import { encodeBase64url, decodeBase64url } from '../../protocol/base64url.js';

describe('over http: B cannot reach A', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt.stop());

  it('B reads, deletes and registers only its own vault; A keeps its key and its count', async () => {
    const alice = await rt.vaultClient('alice');
    const key = new Uint8Array(randomBytes(32));
    await alice.register(key, 'alice pw');
    await expect(alice.recover('bad')).rejects.toMatchObject({ code: 'wrong-password' });
    const before = await alice.status();

    const bob = await rt.vaultClient('bob');
    expect(await bob.status()).toMatchObject({ registered: false });
    await expect(bob.recover('alice pw')).rejects.toMatchObject({ code: 'not-found' });
    await bob.delete();
    await bob.register(new Uint8Array(32), 'bob pw');

    expect(await alice.status()).toEqual(before);
    expect(Buffer.from(await alice.recover('alice pw')).equals(Buffer.from(key))).toBe(true);
  });

  it('an account named in the body is refused, never used', async () => {
    const bobToken = await rt.token('bob2');
    const { startLoginRequest } = await loginStartFor('x');
    const res = await post(rt, '/v1/vault/login/start', bobToken, { startLoginRequest, accountId: 'alice' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'urn:bkv:problem:bad-request' });
  });
});

describe('sealed blobs are bound to their account', () => {
  let dynamo: LocalDynamo;
  let vault: VaultService;
  let sealer: LocalSealer;
  let store: DynamoVaultStore;
  const table = 'accounts-test';

  beforeAll(async () => {
    dynamo = await startDynamo(undefined, table);
    store = new DynamoVaultStore(documentClient(dynamo.client), table);
    sealer = new LocalSealer(new Uint8Array(randomBytes(32)));
    vault = buildVaultService({ store, sealer, maxAttempts: 10, createServerSetup: true });
  });
  afterAll(async () => dynamo.close());

  async function register(account: string, password: string): Promise<void> {
    const reg = await registrationFor(password, (r) => vault.registrationStart(account, r));
    await vault.registrationFinish(account, reg.registrationId, reg.registrationRecord, sealBackupKey(reg.exportKey, account, new Uint8Array(randomBytes(32))));
  }

  async function login(account: string, password: string) {
    const start = await loginStartFor(password);
    const started = await vault.loginStart(account, start.startLoginRequest);
    const finish = loginFinishFor(start.clientLoginState, started.loginResponse, password)!;
    return vault.loginFinish(account, started.loginId, finish.finishLoginRequest);
  }

  it("A's KMS-sealed key copied into B's item does not unseal, and B learns nothing", async () => {
    await register('a', 'pa');
    await register('b', 'pb');
    const a = (await store.get('a'))!;
    await documentClient(dynamo.client).send(new UpdateCommand({
      TableName: table, Key: { pk: 'b', sk: 'vault' }, UpdateExpression: 'SET sealedKey = :k', ExpressionAttributeValues: { ':k': a.sealedKey },
    }));
    const e = await login('b', 'pb').then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(BkvError);
    expect((e as BkvError).code).toBe('internal');
    await expect(sealer.unseal(a.sealedKey!, { purpose: 'sealed-key', account: 'b' })).rejects.toBeInstanceOf(BkvError);
  });

  it("A's OPAQUE record copied into B's item does not unseal, and B's count does not move", async () => {
    await register('c', 'pc');
    await register('d', 'pd');
    const c = (await store.get('c'))!;
    await documentClient(dynamo.client).send(new UpdateCommand({
      TableName: table, Key: { pk: 'd', sk: 'vault' }, UpdateExpression: 'SET rec = :r', ExpressionAttributeValues: { ':r': c.record },
    }));
    const e = await login('d', 'pc').then(() => undefined, (err: unknown) => err);
    expect((e as BkvError).code).toBe('internal');
    expect((await store.get('d'))?.attempts).toBe(0);
  });

  it('the client-sealed key itself is bound to the account (AAD), so even a raw copy opens nowhere else', async () => {
    const { openBackupKey } = await import('../../protocol/key-seal.js');
    const exportKey = encodeBase64url(randomBytes(64));
    const sealed = sealBackupKey(exportKey, 'a', new Uint8Array(32).fill(3));
    expect(Buffer.from(openBackupKey(exportKey, 'a', sealed)).equals(Buffer.alloc(32, 3))).toBe(true);
    expect(() => openBackupKey(exportKey, 'b', sealed)).toThrow(BkvError);
    expect(decodeBase64url(encodeBase64url(sealed))?.length).toBe(61);
  });
});
