// The vault Lambda handlers (functions/handlers/vault.ts) with the AWS SDK mocked by aws-sdk-client-mock:
// what they send to DynamoDB and KMS, in which order, and how SDK failures map to problem answers.

import * as opaque from '@serenity-kit/opaque';
import { ConditionalCheckFailedException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KmsSealer } from '../../functions/adapters/kms-sealer.js';
import { CONFIG_PARTITION, SERVER_SETUP_SK } from '../../functions/ports.js';
import { SERVER_SETUP_CONTEXT } from '../../functions/vault/opaque.js';
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.js';
import { apiEvent } from '../helpers/event.js';
import { fakeKms } from '../helpers/fake-kms.js';
import { loginStartFor, registrationFor } from '../helpers/opaque-client.js';

process.env.VAULT_TABLE = 'vault-table';
process.env.KMS_KEY_ID = 'arn:aws:kms:us-east-1:111122223333:key/mrk-test';
process.env.MAX_ATTEMPTS = '5';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_REGION = 'us-east-1';

const kms = fakeKms(process.env.KMS_KEY_ID);
const ddb = mockClient(DynamoDBDocumentClient);
const sealer = new KmsSealer(kms.client, kms.keyId);
type Handlers = typeof import('../../functions/handlers/vault.js');
let h: Handlers;
let setupItem: Record<string, unknown>;
let vaultItem: Record<string, unknown>;
let validRecord: string;
const CREDENTIAL_ID = new Uint8Array(32).fill(7);
const REGISTRATION_ID = encodeBase64url(new Uint8Array(16).fill(8));

const CONFIG_KEY = { pk: CONFIG_PARTITION, sk: SERVER_SETUP_SK };
const json = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(r.body ?? 'null') as Record<string, unknown>;

beforeAll(async () => {
  await opaque.ready;
  const setup = opaque.server.createSetup();
  setupItem = { ...CONFIG_KEY, value: await sealer.seal(Buffer.from(setup), SERVER_SETUP_CONTEXT) };
  const reg = await registrationFor('pw', async (registrationRequest) => ({
    registrationId: REGISTRATION_ID,
    registrationResponse: opaque.server.createRegistrationResponse({
      serverSetup: setup, userIdentifier: encodeBase64url(CREDENTIAL_ID), registrationRequest,
    }).registrationResponse,
  }));
  validRecord = reg.registrationRecord;
  vaultItem = {
    pk: 'alice', sk: 'vault', gen: 3, maxAttempts: 5, attempts: 1, destroyed: false, updatedAt: 1, cred: CREDENTIAL_ID,
    regId: REGISTRATION_ID, regCred: CREDENTIAL_ID, regUntil: Date.now() + 60_000,
    rec: await sealer.seal(decodeBase64url(reg.registrationRecord)!, { purpose: 'opaque-record', account: 'alice' }),
    sealedKey: await sealer.seal(new Uint8Array(61), { purpose: 'sealed-key', account: 'alice' }),
  };
  h = await import('../../functions/handlers/vault.js');
});
afterAll(() => {
  ddb.restore();
  kms.mock.restore();
});
beforeEach(() => {
  ddb.reset();
  kms.mock.resetHistory();
  ddb.on(GetCommand, { Key: CONFIG_KEY }).resolves({ Item: setupItem });
  ddb.on(GetCommand, { Key: { pk: 'alice', sk: 'vault' } }).resolves({ Item: vaultItem });
});

describe('vault handlers over mocked AWS', () => {
  it('status reads the item strongly consistently and reports the count', async () => {
    const r = await h.status(apiEvent({ method: 'GET', path: '/v1/vault' }));
    expect(r.statusCode).toBe(200);
    expect(json(r)).toEqual({ registered: true, generation: 3, attemptsRemaining: 4, maxAttempts: 5, locked: false });
    expect(ddb).toHaveReceivedCommandWith(GetCommand, { TableName: 'vault-table', Key: { pk: 'alice', sk: 'vault' }, ConsistentRead: true });
  });

  it('login start counts the attempt with one conditional update, sealing the login state for this account', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { attempts: 2 } });
    const { startLoginRequest } = await loginStartFor('pw');
    const r = await h.loginStart(apiEvent({ path: '/v1/vault/login/start', body: { startLoginRequest } }));
    expect(r.statusCode).toBe(200);
    expect(json(r)).toMatchObject({ attemptsRemaining: 3 });
    expect(ddb).toHaveReceivedCommandTimes(UpdateCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'alice', sk: 'vault' },
      ConditionExpression: expect.stringContaining('attempts < maxAttempts'),
      UpdateExpression: expect.stringContaining('attempts = attempts + :one'),
    });
    expect(kms.mock).toHaveReceivedCommandWith(EncryptCommand, { EncryptionContext: { purpose: 'login-state', account: 'alice' } });
    expect(kms.mock).toHaveReceivedCommandWith(DecryptCommand, { EncryptionContext: { purpose: 'opaque-record', account: 'alice' } });
  });

  it('a refused count answers 423 and tries to shred when no login is in flight', async () => {
    ddb.on(UpdateCommand).callsFake((input: UpdateCommand['input']) => {
      if (input.ConditionExpression?.includes('attempts < maxAttempts')) throw new ConditionalCheckFailedException({ message: 'x', $metadata: {} });
      return {};
    });
    ddb.on(GetCommand, { Key: { pk: 'alice', sk: 'vault' } })
      .resolvesOnce({ Item: vaultItem })
      .resolves({ Item: { ...vaultItem, attempts: 5 } });
    const { startLoginRequest } = await loginStartFor('pw');
    const r = await h.loginStart(apiEvent({ path: '/v1/vault/login/start', body: { startLoginRequest } }));
    expect(r.statusCode).toBe(423);
    expect(json(r)).toMatchObject({ type: 'urn:bkv:problem:locked', attemptsRemaining: 0 });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, { ConditionExpression: expect.stringContaining('attempts >= maxAttempts') });
  });

  it('registration finish seals record and key under their purposes and replaces the item', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { gen: 4 } });
    const body = { registrationId: REGISTRATION_ID, registrationRecord: validRecord, sealedKey: Buffer.alloc(61, 2).toString('base64url') };
    const r = await h.registrationFinish(apiEvent({ path: '/v1/vault/registration/finish', body }));
    expect(r.statusCode).toBe(201);
    expect(json(r)).toEqual({ generation: 4, maxAttempts: 5 });
    expect(kms.mock).toHaveReceivedCommandWith(EncryptCommand, { EncryptionContext: { purpose: 'opaque-record', account: 'alice' } });
    expect(kms.mock).toHaveReceivedCommandWith(EncryptCommand, { EncryptionContext: { purpose: 'sealed-key', account: 'alice' } });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      UpdateExpression: expect.stringContaining('gen = if_not_exists(gen, :zero) + :one'),
      ConditionExpression: 'regId = :rid AND regCred = :cred AND regUntil > :now',
    });
  });

  it('DynamoDB throttling is a 503 problem with retry-after, with no SDK text in it', async () => {
    ddb.on(GetCommand, { Key: { pk: 'alice', sk: 'vault' } })
      .rejects(new ProvisionedThroughputExceededException({ message: 'secret internals', $metadata: {} }));
    const r = await h.status(apiEvent({ method: 'GET', path: '/v1/vault' }));
    expect(r.statusCode).toBe(503);
    expect(r.headers?.['retry-after']).toBe('1');
    expect(r.body).not.toContain('secret internals');
    expect(json(r)).toMatchObject({ type: 'urn:bkv:problem:unavailable' });
  });

  it('a record that does not unseal is a bare 500 problem and nothing is counted', async () => {
    ddb.on(GetCommand, { Key: { pk: 'alice', sk: 'vault' } }).resolves({ Item: { ...vaultItem, pk: 'alice', rec: new Uint8Array(80) } });
    const { startLoginRequest } = await loginStartFor('pw');
    const r = await h.loginStart(apiEvent({ path: '/v1/vault/login/start', body: { startLoginRequest } }));
    expect(r.statusCode).toBe(500);
    expect(json(r)).toMatchObject({ type: 'urn:bkv:problem:internal', detail: 'stored data does not unseal' });
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });

  it('bad input never reaches AWS', async () => {
    const r = await h.loginStart(apiEvent({ path: '/v1/vault/login/start', body: '{"startLoginRequest": 1}' }));
    expect(r.statusCode).toBe(400);
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
    expect(kms.mock).not.toHaveReceivedCommand(DecryptCommand);
  });

  it('a token without a subject is refused before any AWS call', async () => {
    const r = await h.status(apiEvent({ method: 'GET', path: '/v1/vault', sub: null }));
    expect(r.statusCode).toBe(401);
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });

  it('a token without exp is refused before any AWS call, on every vault route', async () => {
    for (const [handler, path] of [[h.status, '/v1/vault'], [h.loginStart, '/v1/vault/login/start'], [h.registrationStart, '/v1/vault/registration/start']] as const) {
      const r = await handler(apiEvent({ method: 'POST', path, exp: null, body: {} }));
      expect(r.statusCode).toBe(401);
      expect(json(r)).toMatchObject({ type: 'urn:bkv:problem:invalid-token', detail: 'token has no expiry' });
    }
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  });
});
