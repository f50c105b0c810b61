// Invariant 10 on every storage route: malformed JSON, wrong types, negative or oversized sizes, bad backup ids in
// the path, bodies over 64 KiB, wrong media types, missing or forged tokens each get a 4xx problem+json answer,
// never a 5xx, and change nothing: the account's table items, objects and open uploads are compared before and
// after each case, and the pending upload they were aimed at still completes at the end.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { forgedTokens } from '../helpers/tokens.js';
import { MAX_PARTS, MIN_PART_SIZE } from '../../protocol/backups-schemas.js';
import { asCreated, backup, call, openUploads, storedKeys, tableItems, uploadParts, type Answer } from '../helpers/backups.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

const ACCOUNT = 'victim';
const MAX_BYTES = 3 * MIN_PART_SIZE;
const prefix = `accounts/${Buffer.from(ACCOUNT).toString('base64url')}/`;

let rt: TestRuntime;
let token: string;
let committed: string;
let pending: ReturnType<typeof asCreated>;
let firstPart: { partNumber: number; etag: string }[];
const data = new Uint8Array(MIN_PART_SIZE + 3).fill(5);

beforeAll(async () => {
  rt = await startTestRuntime({ maxBackupBytes: MAX_BYTES });
  token = await rt.token(ACCOUNT);
  committed = await backup(rt, token, Buffer.from('precious'));
  pending = asCreated(await call(rt, token, 'POST', '/v1/backups', { size: data.length }));
  firstPart = await uploadParts(pending, data, [1]);
});
afterAll(async () => rt.stop());

async function snapshot() {
  return {
    items: await tableItems(rt, ACCOUNT),
    keys: (await storedKeys(rt)).filter((k) => k.startsWith(prefix)),
    uploads: await openUploads(rt, prefix),
  };
}

function expectProblem(r: Answer, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.type).toBe('application/problem+json');
  expect(r.json).toMatchObject({ type: `urn:bkv:problem:${code}`, status });
  expect(String(r.json?.detail)).toMatch(/^[a-z][^\n]{0,200}$/);
}

/** `as` replaces the account's token (undefined: none at all). */
async function expectRefused(method: string, path: string, body: unknown, status: number, code: string, contentType?: string, as?: { token: string | undefined }) {
  const before = await snapshot();
  expectProblem(await call(rt, as ? as.token : token, method, path, body, contentType), status, code);
  expect(await snapshot()).toEqual(before);
}

type Case = [name: string, body: string | Buffer, status: number, code: string, contentType?: string];
const COMMON: Case[] = [
  ['malformed json', '{"size":', 400, 'bad-request'],
  ['empty body', '', 400, 'bad-request'],
  ['json null', 'null', 400, 'bad-request'],
  ['json array', '[]', 400, 'bad-request'],
  ['missing fields', '{}', 400, 'bad-request'],
  ['invalid utf-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 400, 'bad-request'],
  ['body over 64 KiB', JSON.stringify({ size: 1, pad: 'x'.repeat(65 * 1024) }), 413, 'payload-too-large'],
  ['text/plain', '{"size":1}', 415, 'unsupported-media-type', 'text/plain'],
  ['no content type', '{"size":1}', 415, 'unsupported-media-type', ''],
];

describe('POST /v1/backups', () => {
  it.for<Case>([
    ...COMMON,
    ['size as a string', '{"size":"5"}', 400, 'bad-request'],
    ['size true', '{"size":true}', 400, 'bad-request'],
    ['fractional size', '{"size":1.5}', 400, 'bad-request'],
    ['negative size', '{"size":-1}', 400, 'bad-request'],
    ['extra field', '{"size":1,"account":"other"}', 400, 'bad-request'],
    ['size one over the maximum', JSON.stringify({ size: MAX_BYTES + 1 }), 413, 'payload-too-large'],
    ['huge size', '{"size":1e300}', 413, 'payload-too-large'],
  ])('%s → 4xx problem, no state change', async ([, body, status, code, contentType]) => {
    await expectRefused('POST', '/v1/backups', body, status, code, contentType);
  });

  it('the 413 names the limit', async () => {
    const r = await call(rt, token, 'POST', '/v1/backups', { size: MAX_BYTES + 1 });
    expect(r.json).toMatchObject({ maxSize: MAX_BYTES });
  });
});

describe('POST /v1/backups/{backupId}/complete', () => {
  const path = () => `/v1/backups/${pending.backupId}/complete`;
  const part = (partNumber: unknown, etag: unknown = '"e"') => ({ partNumber, etag });
  it.for<[string, () => unknown, number, string, string?]>([
    ...COMMON.map(([n, b, s, c, t]) => [n, () => b, s, c, t] as [string, () => unknown, number, string, string?]),
    ['parts not an array', () => '{"parts":{}}', 400, 'bad-request'],
    ['no parts', () => ({ parts: [] }), 400, 'bad-request'],
    ['part number 0', () => ({ parts: [part(0), part(1)] }), 400, 'bad-request'],
    ['part number as a string', () => ({ parts: [part('1'), part(2)] }), 400, 'bad-request'],
    ['part number over the maximum', () => ({ parts: [part(MAX_PARTS + 1)] }), 400, 'bad-request'],
    ['etag as a number', () => ({ parts: [part(1, 5), part(2)] }), 400, 'bad-request'],
    ['etag with a newline', () => ({ parts: [part(1, '"a"\n'), part(2)] }), 400, 'bad-request'],
    ['empty etag', () => ({ parts: [part(1, ''), part(2)] }), 400, 'bad-request'],
    ['extra field in a part', () => ({ parts: [{ ...part(1), size: 1 }, part(2)] }), 400, 'bad-request'],
    ['extra top-level field', () => ({ parts: [part(1), part(2)], size: 1 }), 400, 'bad-request'],
    ['more parts than allowed', () => ({ parts: Array.from({ length: MAX_PARTS + 1 }, (_, i) => part(Math.min(i + 1, MAX_PARTS))) }), 400, 'bad-request'],
    ['fewer parts than the upload has', () => ({ parts: firstPart }), 400, 'bad-request'],
    ['parts out of order', () => ({ parts: [part(2), ...firstPart] }), 400, 'bad-request'],
    ['a part twice', () => ({ parts: [...firstPart, ...firstPart] }), 400, 'bad-request'],
    ['a part not uploaded', () => ({ parts: [...firstPart, part(2, '"00000000000000000000000000000000"')] }), 400, 'bad-request'],
  ])('%s → 4xx problem, no state change', async ([, body, status, code, contentType]) => {
    await expectRefused('POST', path(), body(), status, code, contentType);
  });
});

const BAD_IDS: [string, string][] = [
  ['uppercase id', '01ARZ3NDEKTSV4RRFFQ69G5FAV'],
  ['25 characters', '01arz3ndektsv4rrffq69g5fa'],
  ['27 characters', '01arz3ndektsv4rrffq69g5favv'],
  ['first character over 7', '81arz3ndektsv4rrffq69g5fav'],
  ['letter outside crockford (u)', '01arz3ndektsv4rrffq69g5fau'],
  ['encoded slash', '01arz3ndektsv4rr%2Fq69g5fav'],
  ['dot dot', '..'],
  ['encoded dot dot', '%2E%2E'],
  ['non-utf-8 escape', '%ff'],
];

describe('backup ids in the path', () => {
  it.for(BAD_IDS.flatMap(([name, id]) => [
    ['GET', `/v1/backups/${id}`, name],
    ['DELETE', `/v1/backups/${id}`, name],
    ['POST', `/v1/backups/${id}/complete`, name],
  ] as const))('%s %s (%s) → 4xx problem, no state change', async ([method, path]) => {
    const before = await snapshot();
    const r = await call(rt, token, method, path, method === 'POST' ? { parts: firstPart } : undefined);
    expect([400, 404]).toContain(r.status);
    expectProblem(r, r.status, r.status === 400 ? 'bad-request' : 'not-found');
    expect(await snapshot()).toEqual(before);
  });

  it('latest is only for GET: DELETE and complete refuse it', async () => {
    await expectRefused('DELETE', '/v1/backups/latest', undefined, 400, 'bad-request');
    await expectRefused('POST', '/v1/backups/latest/complete', { parts: firstPart }, 400, 'bad-request');
  });

  it('a well-formed id that does not exist is 404', async () => {
    for (const [method, path] of [['GET', '/v1/backups/01arz3ndektsv4rrffq69g5fav'], ['DELETE', '/v1/backups/01arz3ndektsv4rrffq69g5fav']] as const) {
      await expectRefused(method, path, undefined, 404, 'not-found');
    }
    await expectRefused('POST', '/v1/backups/01arz3ndektsv4rrffq69g5fav/complete', { parts: firstPart }, 404, 'not-found');
  });

  it('a pending backup is not readable', async () => {
    await expectRefused('GET', `/v1/backups/${pending.backupId}`, undefined, 404, 'not-found');
  });
});

describe('tokens and methods', () => {
  const forgers = forgedTokens(ACCOUNT, () => token, () => rt.dataDir);
  const routes = ROUTES.filter((r) => r.id.startsWith('backups.'));

  it('all five storage routes are in the route table', () => {
    expect(routes.map((r) => r.id).sort()).toEqual(['backups.complete', 'backups.create', 'backups.delete', 'backups.get', 'backups.list']);
  });

  it.for(routes.flatMap((r) => forgers.map(([name, make]) => [r.method, r.path, name, make] as const)))(
    '%s %s with %s → 401 problem, no state change',
    async ([method, pattern, , make]) => {
      const path = pattern.replace('{backupId}', method === 'POST' ? pending.backupId : committed);
      const body = pattern === '/v1/backups' && method === 'POST' ? { size: 1 } : method === 'POST' ? { parts: firstPart } : undefined;
      await expectRefused(method, path, body, 401, 'invalid-token', undefined, { token: await make() });
    },
  );

  it('wrong methods are 405 with Allow', async () => {
    const put = await fetch(`${rt.url}/v1/backups`, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, GET');
    const get = await fetch(`${rt.url}/v1/backups/${pending.backupId}/complete`, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(405);
  });
});

describe('after all of the above', () => {
  it('the pending upload still completes and the committed backup is still there', async () => {
    const rest = await uploadParts(pending, data, [2]);
    expect((await call(rt, token, 'POST', `/v1/backups/${pending.backupId}/complete`, { parts: [...firstPart, ...rest] })).status).toBe(200);
    const list = await call(rt, token, 'GET', '/v1/backups');
    expect((list.json?.backups as { backupId: string }[]).map((b) => b.backupId)).toEqual([pending.backupId, committed]);
  });
});
