// Attacker: another process on the machine running `npm start`, without the runtime's storage credentials
// (docs/threat-model.md invariant 11). It must not read, write or reset the vault item through DynamoDB (the guess limit
// lives in `attempts`), nor GET, PUT, list or delete objects on the S3 endpoint, unsigned or signed with other
// credentials; nor bend a presigned URL it was given: another key (account B's URL re-pointed at A's object), an
// expired one, another method. Each refusal is checked for its error kind and for the state it left unchanged.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { request } from 'node:http';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BkvError } from '../../protocol/errors.js';
import { repoS3Client } from '../../functions/adapters/s3-object-store.js';
import { localDynamoClient } from '../../local/dynamo.js';
import { randomStorageCredentials } from '../../local/keys.js';
import { Sha256 } from '../../local/sigv4.js';
import { call, download, downloadUrl, keyOf, newId, putObjects, storedKeys } from '../helpers/repo.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let tokenA: string;
let keyA: string;
let bytesA: Buffer;
let idB: string;
beforeAll(async () => {
  rt = await startTestRuntime();
  tokenA = await rt.token('alice');
  bytesA = randomBytes(2000);
  const id = newId();
  await putObjects(rt, tokenA, [{ type: 'data', id, body: bytesA }]);
  keyA = keyOf('alice', 'data', id);
  idB = newId();
  await putObjects(rt, await rt.token('bob'), [{ type: 'data', id: idB, body: randomBytes(2000) }]);
  const vault = await rt.vaultClient('alice');
  await vault.register(new Uint8Array(randomBytes(32)), 'right');
  const wrong = await vault.recover('wrong').then(() => undefined, (e: unknown) => e);
  expect(wrong).toBeInstanceOf(BkvError);
  expect((wrong as BkvError).code).toBe('wrong-password');
});
afterAll(async () => rt.stop());

const OLD_FAKE = { accessKeyId: 'local', secretAccessKey: 'local' };
const vaultItem = async () => (await DynamoDBDocumentClient.from(rt.dynamo.client).send(new GetCommand({
  TableName: rt.dynamo.table, Key: { pk: 'alice', sk: 'vault' }, ConsistentRead: true,
}))).Item;
const objectA = async () => download(await getSignedUrl(rt.s3.client, new GetObjectCommand({ Bucket: rt.s3.bucket, Key: keyA }), { expiresIn: 60 }));

describe('DynamoDB', () => {
  async function runtimeAccessKey(): Promise<string> {
    return (await rt.dynamo.client.config.credentials()).accessKeyId;
  }

  it.for([
    ["the old fake 'local' credentials", 'UnrecognizedClientException', 'old'],
    ['other random credentials', 'UnrecognizedClientException', 'random'],
    ["the runtime's access key id with another secret", 'InvalidSignatureException', 'stolen-id'],
  ] as const)('an UpdateItem setting attempts = 0, signed with %s, is refused (%s) and the item is unchanged', async ([, error, kind]) => {
    const before = await vaultItem();
    expect(before?.attempts).toBe(1);
    const credentials = kind === 'old' ? OLD_FAKE : kind === 'random' ? randomStorageCredentials()
      : { accessKeyId: await runtimeAccessKey(), secretAccessKey: randomStorageCredentials().secretAccessKey };
    const client = localDynamoClient(rt.dynamo.socketPath, credentials);
    try {
      const doc = DynamoDBDocumentClient.from(client);
      const reset = await doc.send(new UpdateCommand({
        TableName: rt.dynamo.table, Key: { pk: 'alice', sk: 'vault' }, UpdateExpression: 'SET attempts = :zero', ExpressionAttributeValues: { ':zero': 0 },
      })).then(() => undefined, (e: unknown) => e);
      expect((reset as Error)?.name).toBe(error);
      const read = await doc.send(new GetCommand({ TableName: rt.dynamo.table, Key: { pk: 'alice', sk: 'vault' } })).then(() => undefined, (e: unknown) => e);
      expect((read as Error)?.name).toBe(error);
    } finally {
      client.destroy();
    }
    expect(await vaultItem()).toEqual(before);
  });

  it('a request with no signature at all (raw HTTP on the socket) is refused and reads nothing', async () => {
    const body = JSON.stringify({ TableName: rt.dynamo.table, Key: { pk: { S: 'alice' }, sk: { S: 'vault' } } });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        socketPath: rt.dynamo.socketPath, method: 'POST', path: '/',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem', host: 'localhost' },
      }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ __type: expect.stringContaining('MissingAuthenticationToken') });
    expect(answer.body).not.toContain('attempts');
  });

  it('there is no TCP endpoint: the socket sits in the 0700 data dir, and another local user cannot even connect', async () => {
    expect(dirname(rt.dynamo.socketPath)).toBe(rt.dataDir);
    expect((await lstat(rt.dataDir)).mode & 0o777).toBe(0o700);
    if (process.getuid?.() !== 0) {
      throw new Error('this test acts as another user (uid 65534) and needs root, as CI (`bash .ci/run`) has');
    }
    const probe = `require('node:net').connect(${JSON.stringify(rt.dynamo.socketPath)}).on('connect', () => { console.log('connected'); process.exit(0); }).on('error', (e) => { console.log(e.code); process.exit(0); });`;
    const out = spawnSync(process.execPath, ['-e', probe], { uid: 65534, gid: 65534, cwd: '/', encoding: 'utf8', timeout: 20_000 });
    expect(out.error).toBeUndefined();
    expect(out.stdout.trim()).toBe('EACCES');
  });
});

describe('S3', () => {
  const endpoint = () => rt.s3.endpoint;
  const path = (key: string) => `${endpoint()}/${rt.s3.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

  async function expectS3Error(res: Response, status: number, code: string): Promise<void> {
    expect(res.status).toBe(status);
    expect(await res.text()).toContain(`<Code>${code}</Code>`);
  }

  it('unsigned GET, PUT, list and DELETE are 403 AccessDenied and change nothing', async () => {
    const keys = await storedKeys(rt);
    await expectS3Error(await fetch(path(keyA)), 403, 'AccessDenied');
    await expectS3Error(await fetch(path(keyA), { method: 'PUT', body: 'overwritten' }), 403, 'AccessDenied');
    await expectS3Error(await fetch(`${endpoint()}/${rt.s3.bucket}`), 403, 'AccessDenied');
    await expectS3Error(await fetch(`${endpoint()}/${rt.s3.bucket}?list-type=2`), 403, 'AccessDenied');
    await expectS3Error(await fetch(`${endpoint()}/`), 403, 'AccessDenied');
    await expectS3Error(await fetch(path(keyA), { method: 'DELETE' }), 403, 'AccessDenied');
    expect(await storedKeys(rt)).toEqual(keys);
    expect((await objectA()).equals(bytesA)).toBe(true);
  });

  it.for([
    ["the old fake 'local' credentials", 'InvalidAccessKeyId', 'old'],
    ['other random credentials', 'InvalidAccessKeyId', 'random'],
    ["the runtime's access key id with another secret", 'SignatureDoesNotMatch', 'stolen-id'],
  ] as const)('SDK calls signed with %s are 403 %s and change nothing', async ([, code, kind]) => {
    const own = await rt.s3.client.config.credentials();
    const credentials = kind === 'old' ? OLD_FAKE : kind === 'random' ? randomStorageCredentials()
      : { accessKeyId: own.accessKeyId, secretAccessKey: randomStorageCredentials().secretAccessKey };
    const s3: S3Client = repoS3Client({ endpoint: endpoint(), region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
    const keys = await storedKeys(rt);
    try {
      for (const command of [
        new GetObjectCommand({ Bucket: rt.s3.bucket, Key: keyA }),
        new PutObjectCommand({ Bucket: rt.s3.bucket, Key: keyA, Body: 'overwritten' }),
        new ListObjectsV2Command({ Bucket: rt.s3.bucket }),
        new DeleteObjectCommand({ Bucket: rt.s3.bucket, Key: keyA }),
      ]) {
        const e = await s3.send(command as never).then(() => undefined, (err: unknown) => err);
        expect((e as Error)?.name, command.constructor.name).toBe(code);
        expect((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(403);
      }
      // A presigned URL made with them is refused the same way.
      const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: rt.s3.bucket, Key: keyA }), { expiresIn: 60 });
      await expectS3Error(await fetch(url), 403, code);
    } finally {
      s3.destroy();
    }
    expect(await storedKeys(rt)).toEqual(keys);
    expect((await objectA()).equals(bytesA)).toBe(true);
  });

  it("account B's presigned GET URL re-pointed at A's object is 403 SignatureDoesNotMatch", async () => {
    const url = new URL(await downloadUrl(rt, await rt.token('bob'), 'data', idB));
    expect((await fetch(url)).status).toBe(200); // as given, it works
    url.pathname = `/${rt.s3.bucket}/${keyA}`;
    await expectS3Error(await fetch(url), 403, 'SignatureDoesNotMatch');
  });

  it("account B's presigned PUT URL re-pointed at A's object is refused and A's bytes are unchanged", async () => {
    const created = await call(rt, await rt.token('bob'), 'POST', '/v1/repo/uploads', { objects: [{ type: 'data', id: newId(), size: 11 }] });
    const url = new URL(String((created.json?.uploads as { url: string }[])[0]!.url));
    url.pathname = `/${rt.s3.bucket}/${keyA}`;
    await expectS3Error(await fetch(url, { method: 'PUT', body: 'overwritten' }), 403, 'SignatureDoesNotMatch');
    expect((await objectA()).equals(bytesA)).toBe(true);
  });

  it('an expired URL is 403 AccessDenied; one whose X-Amz-Expires was lengthened is 403 SignatureDoesNotMatch', async () => {
    const command = new GetObjectCommand({ Bucket: rt.s3.bucket, Key: keyA });
    const expired = await getSignedUrl(rt.s3.client, command, { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) });
    await expectS3Error(await fetch(expired), 403, 'AccessDenied');
    const lengthened = new URL(expired);
    lengthened.searchParams.set('X-Amz-Expires', '3600');
    await expectS3Error(await fetch(lengthened), 403, 'SignatureDoesNotMatch');
  });

  it('a URL presigned for GET cannot PUT or DELETE; one presigned for PUT cannot GET', async () => {
    const getUrl = await getSignedUrl(rt.s3.client, new GetObjectCommand({ Bucket: rt.s3.bucket, Key: keyA }), { expiresIn: 60 });
    await expectS3Error(await fetch(getUrl, { method: 'PUT', body: 'overwritten' }), 403, 'SignatureDoesNotMatch');
    await expectS3Error(await fetch(getUrl, { method: 'DELETE' }), 403, 'SignatureDoesNotMatch');
    const putUrl = await getSignedUrl(rt.s3.client, new PutObjectCommand({ Bucket: rt.s3.bucket, Key: keyA, ContentLength: 11 }), {
      expiresIn: 60, signableHeaders: new Set(['content-length']),
    });
    await expectS3Error(await fetch(putUrl), 403, 'SignatureDoesNotMatch');
    expect((await objectA()).equals(bytesA)).toBe(true);
    expect(await storedKeys(rt)).toContain(keyA);
  });

  /** A PUT signed in its header with the runtime's own credentials over the payload hash of `signedBody`. */
  async function signedPut(key: string, signedBody: Buffer, sentBody: Buffer, signHash = true): Promise<Response> {
    const u = new URL(path(key));
    const signer = new SignatureV4({ credentials: await rt.s3.client.config.credentials(), region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false });
    const headers: Record<string, string> = {
      host: u.host, 'content-length': String(sentBody.length), 'x-amz-content-sha256': createHash('sha256').update(signedBody).digest('hex'),
    };
    const signed = await signer.sign({ method: 'PUT', protocol: 'http:', hostname: u.hostname, port: Number(u.port), path: u.pathname, query: {}, headers }, {
      ...(signHash ? {} : { unsignableHeaders: new Set(['x-amz-content-sha256']) }),
    });
    return fetch(u, { method: 'PUT', headers: signed.headers as Record<string, string>, body: sentBody });
  }

  it('a header-signed PUT is verified from its headers, then its body against the signed hash: a mismatch stores nothing', async () => {
    const keys = await storedKeys(rt);
    const other = Buffer.from(bytesA);
    other[0] = other[0]! ^ 1;
    await expectS3Error(await signedPut(keyA, bytesA, other), 400, 'XAmzContentSHA256Mismatch');
    expect(await storedKeys(rt)).toEqual(keys); // no temporary file left either
    expect((await objectA()).equals(bytesA)).toBe(true);
    // The hash must be signed (S3's rule): otherwise it could be swapped for the body's.
    await expectS3Error(await signedPut(keyA, other, other, false), 403, 'AccessDenied');
    expect((await objectA()).equals(bytesA)).toBe(true);
    // The same request with its own body is stored, streamed and hashed on the way.
    const key = keyOf('carol', 'data', newId());
    const body = randomBytes(300_000);
    expect((await signedPut(key, body, body)).status).toBe(200);
    expect((await download(await getSignedUrl(rt.s3.client, new GetObjectCommand({ Bucket: rt.s3.bucket, Key: key }), { expiresIn: 60 }))).equals(body)).toBe(true);
  });
});
