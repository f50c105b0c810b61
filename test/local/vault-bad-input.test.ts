// Invariant 10 on every vault route: malformed JSON, wrong types, bad base64url, oversized bodies, wrong media
// types, missing or forged tokens each get a 4xx problem+json answer, never a 5xx, and change nothing.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.js';
import { encodeBase64url } from '../../protocol/base64url.js';
import { forgedTokens } from '../helpers/tokens.js';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

let rt: TestRuntime;
let token: string;
const ACCOUNT = 'victim';
const PASSWORD = 'the password';
const KEY = new Uint8Array(randomBytes(32));

beforeAll(async () => {
  rt = await startTestRuntime();
  token = await rt.token(ACCOUNT);
  const client = await rt.vaultClient(ACCOUNT);
  await client.register(KEY, PASSWORD);
  await expect(client.recover('wrong')).rejects.toMatchObject({ code: 'wrong-password' });
});
afterAll(async () => rt.stop());

const b64 = (n: number, fill = 1) => encodeBase64url(new Uint8Array(n).fill(fill));
const VALID: Record<string, Record<string, string>> = {
  '/v1/vault/registration/start': { registrationRequest: b64(32) },
  '/v1/vault/registration/finish': { registrationId: b64(16), registrationRecord: b64(192), sealedKey: b64(61) },
  '/v1/vault/login/start': { startLoginRequest: b64(96) },
  '/v1/vault/login/finish': { loginId: b64(16), finishLoginRequest: b64(64) },
};
const vaultPosts = ROUTES.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/vault'));

async function send(method: string, path: string, body: string | Buffer | undefined, headers: Record<string, string>) {
  const res = await fetch(rt.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

async function snapshot() {
  const res = await fetch(`${rt.url}/v1/vault`, { headers: { authorization: `Bearer ${token}` } });
  return res.json();
}

function expectProblem(r: Awaited<ReturnType<typeof send>>, status: number, code: string) {
  expect(r.status).toBe(status);
  expect(r.type).toBe('application/problem+json');
  expect(r.json).toMatchObject({ type: `urn:bkv:problem:${code}`, status });
  expect(String(r.json?.detail)).toMatch(/^[a-z][^\n]{0,200}$/);
  expect(JSON.stringify(r.json)).not.toMatch(/\bat .+:\d+:\d+/);
}

type Case = [name: string, body: (valid: Record<string, string>) => string | Buffer, status: number, code: string, contentType?: string];

const BODY_CASES: Case[] = [
  ['malformed json', () => '{"a":', 400, 'bad-request'],
  ['empty body', () => '', 400, 'bad-request'],
  ['json null', () => 'null', 400, 'bad-request'],
  ['json array', () => '[]', 400, 'bad-request'],
  ['missing fields', () => '{}', 400, 'bad-request'],
  ['unknown extra field', (v) => JSON.stringify({ ...v, extra: 1 }), 400, 'bad-request'],
  ['number instead of string', (v) => JSON.stringify(Object.fromEntries(Object.keys(v).map((k) => [k, 42]))), 400, 'bad-request'],
  ['padded base64url', (v) => JSON.stringify(Object.fromEntries(Object.entries(v).map(([k, s]) => [k, `${s}=`]))), 400, 'bad-request'],
  ['standard base64 alphabet', (v) => JSON.stringify(Object.fromEntries(Object.entries(v).map(([k, s]) => [k, `+/${s.slice(2)}`]))), 400, 'bad-request'],
  ['one byte short', (v) => JSON.stringify(Object.fromEntries(Object.entries(v).map(([k, s]) => [k, encodeBase64url(Buffer.from(s, 'base64url').subarray(1))]))), 400, 'bad-request'],
  ['non-canonical trailing bits', (v) => JSON.stringify(Object.fromEntries(Object.entries(v).map(([k, s]) => [k, s.slice(0, -1) + (s.endsWith('Q') ? 'R' : 'F')]))), 400, 'bad-request'],
  ['invalid utf-8', () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 400, 'bad-request'],
  ['body over 64 KiB', (v) => JSON.stringify({ ...v, pad: 'x'.repeat(65 * 1024) }), 413, 'payload-too-large'],
  ['text/plain', (v) => JSON.stringify(v), 415, 'unsupported-media-type', 'text/plain'],
  ['no content type', (v) => JSON.stringify(v), 415, 'unsupported-media-type', ''],
  ['json with latin-1 charset', (v) => JSON.stringify(v), 415, 'unsupported-media-type', 'application/json; charset=latin1'],
];

describe.each(vaultPosts.map((r) => [r.path] as const))('POST %s', (path) => {
  it.for(BODY_CASES)('%s → 4xx problem, no state change', async ([, body, status, code, contentType]) => {
    const before = await snapshot();
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (contentType !== '') headers['content-type'] = contentType ?? 'application/json';
    expectProblem(await send('POST', path, body(VALID[path]!), headers), status, code);
    expect(await snapshot()).toEqual(before);
  });
});

describe('well-formed but invalid OPAQUE messages', () => {
  it.for([
    ['/v1/vault/registration/start', { registrationRequest: b64(32, 0xff) }, 400, 'bad-request'],
    ['/v1/vault/login/start', { startLoginRequest: b64(96, 0xff) }, 400, 'bad-request'],
    ['/v1/vault/login/finish', { loginId: b64(16), finishLoginRequest: b64(64) }, 401, 'login-expired'],
    ['/v1/vault/registration/finish', { registrationId: b64(16), registrationRecord: b64(192), sealedKey: b64(61) }, 409, 'registration-expired'],
  ] as const)('%s → %i, no state change', async ([path, body, status, code]) => {
    const before = await snapshot();
    expectProblem(await send('POST', path, JSON.stringify(body), { authorization: `Bearer ${token}`, 'content-type': 'application/json' }), status, code);
    expect(await snapshot()).toEqual(before);
  });
});

describe('tokens', () => {
  const forgers = [
    ...forgedTokens(ACCOUNT, () => token, () => rt.dataDir),
    ['basic auth scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
  ] as const;

  it.for(ROUTES.filter((r) => r.path.startsWith('/v1/vault')).flatMap((r) => forgers.map(([name, make]) => [r.method, r.path, name, make] as const)))(
    '%s %s with %s → 401 problem, no state change',
    async ([method, path, , make]) => {
      const before = await snapshot();
      const forged = await make();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (forged !== undefined) headers.authorization = forged.startsWith('Basic ') ? forged : `Bearer ${forged}`;
      expectProblem(await send(method, path, method === 'POST' ? JSON.stringify(VALID[path]) : undefined, headers), 401, 'invalid-token');
      expect(await snapshot()).toEqual(before);
    },
  );

  it('a valid token whose subject is unusable as an account id is refused', async () => {
    const bad = await rt.token('has/slash');
    expectProblem(await send('GET', '/v1/vault', undefined, { authorization: `Bearer ${bad}` }), 401, 'invalid-token');
  });
});

describe('routing', () => {
  it('unknown paths are 404 and wrong methods 405 with Allow, as problem+json', async () => {
    expectProblem(await send('GET', '/v1/nope', undefined, { authorization: `Bearer ${token}` }), 404, 'not-found');
    const res = await fetch(`${rt.url}/v1/vault/login/start`, { method: 'GET', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('after all of the above the right password still recovers the key, with the count as it was', async () => {
    expect(await snapshot()).toMatchObject({ attemptsRemaining: 9, locked: false, generation: 1 });
    const client = await rt.vaultClient(ACCOUNT);
    expect(Buffer.from(await client.recover(PASSWORD)).equals(Buffer.from(KEY))).toBe(true);
  });
});
