// Attacker capabilities beyond the token (docs/threat-model.md, "Attacker capabilities"), each with the bound it
// gets, counted as password-testable answers:
//   - reader of a table copy without the sealer key: 0 (everything that follows from the password is sealed);
//   - writer of the table without the sealer key: no offline guesses; it can reset the counter, so it gets one
//     testable answer per login start the service answers (online, at the API's rate) — and registration starts
//     stay useless to it, whatever it writes into the item;
//   - holder of the sealer key (KMS decrypt in AWS, the data dir locally) and the table: unlimited offline guesses,
//     each costing one OPAQUE key stretching (Argon2id in production); K still needs the password.

import { randomBytes } from 'node:crypto';
import * as opaque from '@serenity-kit/opaque';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoVaultStore } from '../../functions/adapters/dynamo-vault-store.js';
import { documentClient } from '../../functions/adapters/document-client.js';
import { LocalSealer } from '../../functions/adapters/local-sealer.js';
import { CONFIG_PARTITION, SERVER_SETUP_SK } from '../../functions/ports.js';
import { buildVaultService } from '../../functions/vault/deps.js';
import { SERVER_SETUP_CONTEXT } from '../../functions/vault/opaque.js';
import type { VaultService } from '../../functions/vault/service.js';
import { startDynamo, type LocalDynamo } from '../../local/dynamo.js';
import { decodeBase64url, encodeBase64url } from '../../protocol/base64url.js';
import { openBackupKey, sealBackupKey } from '../../protocol/key-seal.js';
import { CHEAP_STRETCHING } from '../helpers/local.js';
import { loginStartFor, registrationFor } from '../helpers/opaque-client.js';
import { ke2ConfirmsOwnGuess, probeWithRegistrationStart } from './attacker.js';

const TABLE = 'holders-test';
const MAX = 3;
const PASSWORD = 'correct horse';
const DICTIONARY = ['123456', 'password', 'hunter2', PASSWORD, 'dragon'];

let dynamo: LocalDynamo;
let doc: ReturnType<typeof documentClient>;
let vault: VaultService;
const sealerKey = new Uint8Array(randomBytes(32));
const sealer = new LocalSealer(sealerKey);

beforeAll(async () => {
  dynamo = await startDynamo(undefined, TABLE);
  doc = documentClient(dynamo.client);
  vault = buildVaultService({ store: new DynamoVaultStore(doc, TABLE), sealer, maxAttempts: MAX, createServerSetup: true });
});
afterAll(async () => dynamo.close());

async function register(account: string) {
  const key = new Uint8Array(randomBytes(32));
  const reg = await registrationFor(PASSWORD, (r) => vault.registrationStart(account, r));
  await vault.registrationFinish(account, reg.registrationId, reg.registrationRecord, sealBackupKey(reg.exportKey, account, key));
  return { key, record: decodeBase64url(reg.registrationRecord)!, exportKey: reg.exportKey };
}

async function tableItem(account: string): Promise<Record<string, unknown>> {
  return (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: account, sk: 'vault' } }))).Item!;
}

const binaries = (item: Record<string, unknown>) => Object.values(item).filter((v): v is Uint8Array => v instanceof Uint8Array);
const contains = (hay: Uint8Array, needle: Uint8Array) => Buffer.from(hay).includes(Buffer.from(needle));

async function countedKe2(account: string, guess: string) {
  const { startLoginRequest, clientLoginState } = await loginStartFor(guess);
  const started = await vault.loginStart(account, startLoginRequest);
  return { ...started, clientLoginState };
}

describe('reader of a table copy, without the sealer key', () => {
  it('gets 0 testable guesses: no record, masking key, sealed key or K in the clear, and nothing opens under another key', async () => {
    const { key, record } = await register('reader');
    await countedKe2('reader', 'a guess'); // a pending login's state is in the item too
    const item = await tableItem('reader');
    const setup = (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: CONFIG_PARTITION, sk: SERVER_SETUP_SK } }))).Item!;
    const secrets = [record, record.subarray(32, 96), key];
    let testable = 0;
    for (const blob of [...binaries(item), ...binaries(setup)]) {
      for (const secret of secrets) if (contains(blob, secret)) testable++;
      const other = new LocalSealer(new Uint8Array(randomBytes(32)));
      for (const purpose of ['opaque-record', 'sealed-key', 'login-state'] as const) {
        await expect(other.unseal(blob, { purpose, account: 'reader' })).rejects.toMatchObject({ code: 'internal' });
      }
    }
    expect(testable).toBe(0);
  });
});

describe('writer of the table, without the sealer key', () => {
  it('resetting the counter buys online starts (one testable answer each), never an offline oracle', async () => {
    await register('writer');
    let testable = 0;
    const ke2s: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MAX; i++) {
        const started = await countedKe2('writer', `guess ${round}.${i}`);
        ke2s.push(started.loginResponse);
        expect(ke2ConfirmsOwnGuess(started.clientLoginState, started.loginResponse, `guess ${round}.${i}`)).toBe(false);
        testable++;
      }
      await expect(countedKe2('writer', 'one more')).rejects.toMatchObject({ code: 'locked' });
      // The writer rolls the counter back and drops the pending login, so the vault is never destroyed.
      await doc.send(new UpdateCommand({
        TableName: TABLE, Key: { pk: 'writer', sk: 'vault' }, UpdateExpression: 'SET attempts = :z REMOVE pendingId, pendingState, pendingExp',
        ExpressionAttributeValues: { ':z': 0 },
      }));
    }
    expect(testable).toBe(3 * MAX); // each one a login start the service answered

    // Whatever it writes into the item, a registration start never evaluates under the live key: swap the pending
    // registration's credential id for the live one, then probe with the right password.
    const item = await tableItem('writer');
    const confirmed: number[] = [];
    for (const [i, ke2] of ke2s.slice(0, 3).entries()) {
      const probe = await probeWithRegistrationStart(async (req) => {
        const started = await vault.registrationStart('writer', req);
        await doc.send(new UpdateCommand({
          TableName: TABLE, Key: { pk: 'writer', sk: 'vault' }, UpdateExpression: 'SET regCred = :c', ExpressionAttributeValues: { ':c': item.cred },
        }));
        return started.registrationResponse;
      }, PASSWORD, ke2);
      if (probe) confirmed.push(i);
    }
    expect(confirmed).toEqual([]);
  });
});

describe('holder of the sealer key and the table (KMS decrypt in AWS, the data dir locally)', () => {
  it('tests guesses offline without limit, one key stretching each, and needs the password for K', async () => {
    const { key } = await register('operator');
    const item = await tableItem('operator');
    const setup = (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: CONFIG_PARTITION, sk: SERVER_SETUP_SK } }))).Item!;
    const serverSetup = Buffer.from(await sealer.unseal(setup.value as Uint8Array, SERVER_SETUP_CONTEXT)).toString('utf8');
    const record = await sealer.unseal(item.rec as Uint8Array, { purpose: 'opaque-record', account: 'operator' });
    const sealedKey = await sealer.unseal(item.sealedKey as Uint8Array, { purpose: 'sealed-key', account: 'operator' });
    const credentialId = encodeBase64url(item.cred as Uint8Array);

    await opaque.ready;
    let stretchings = 0;
    let found: string | undefined;
    for (const guess of DICTIONARY) {
      // The whole login runs offline: the holder plays the server with the unsealed setup and record.
      const { clientLoginState, startLoginRequest } = opaque.client.startLogin({ password: guess });
      const { loginResponse } = opaque.server.startLogin({
        serverSetup, userIdentifier: credentialId, registrationRecord: encodeBase64url(record), startLoginRequest,
      });
      const finished = opaque.client.finishLogin({ clientLoginState, loginResponse, password: guess, keyStretching: CHEAP_STRETCHING });
      stretchings++;
      if (finished) {
        found = guess;
        expect(Buffer.from(openBackupKey(finished.exportKey, 'operator', sealedKey)).equals(Buffer.from(key))).toBe(true);
        break;
      }
    }
    expect(found).toBe(PASSWORD);
    expect(stretchings).toBe(DICTIONARY.indexOf(PASSWORD) + 1);
    const status = await vault.status('operator');
    expect(status).toMatchObject({ attemptsRemaining: MAX, locked: false }); // the counter never saw it
  });
});
