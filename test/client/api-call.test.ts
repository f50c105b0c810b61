// ApiClient.call (client/http.ts): a call by route id goes out with the wire table's method and path
// (protocol/routes.ts), its answer is held to the route's answer schema, and a route without one reads no body.

import { describe, expect, it } from 'vitest';
import { ApiClient } from '../../client/http.js';
import { isClientError } from '../../client/errors.js';

interface Sent { method: string; url: string; body: string | undefined }

function fakeServer(answer: { status: number; body?: unknown }) {
  const sent: Sent[] = [];
  const fetchImpl = (async (url: URL | string, init?: RequestInit) => {
    sent.push({ method: init?.method ?? 'GET', url: String(url), body: init?.body as string | undefined });
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    return new Response(answer.status === 204 ? null : text, { status: answer.status });
  }) as typeof fetch;
  return { sent, api: new ApiClient({ server: 'http://127.0.0.1:9', token: 't', fetch: fetchImpl }) };
}

const STATUS = { registered: true, generation: 2, attemptsRemaining: 9, maxAttempts: 10, locked: false };

describe('ApiClient.call', () => {
  it('sends the table\'s method and path and answers the parsed body', async () => {
    const { sent, api } = fakeServer({ status: 200, body: STATUS });
    await expect(api.call('vault.status')).resolves.toEqual(STATUS);
    expect(sent).toEqual([{ method: 'GET', url: 'http://127.0.0.1:9/v1/vault', body: undefined }]);
  });

  it('fills path parameters and the declared query parameters', async () => {
    const { sent, api } = fakeServer({ status: 204 });
    await api.call('repo.unlock', { params: { lockId: '0123456789abcdef0123456789abcdef' } });
    await api.call('vault.delete', { query: { backups: 'true' } });
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual([
      'DELETE http://127.0.0.1:9/v1/repo/locks/0123456789abcdef0123456789abcdef',
      'DELETE http://127.0.0.1:9/v1/vault?backups=true',
    ]);
  });

  it('sends the body as json', async () => {
    const { sent, api } = fakeServer({ status: 200, body: { registrationId: 'x', registrationResponse: 'y' } });
    await api.call('vault.registrationStart', { body: { registrationRequest: 'abc' } }).catch(() => undefined);
    expect(sent[0]).toEqual({ method: 'POST', url: 'http://127.0.0.1:9/v1/vault/registration/start', body: '{"registrationRequest":"abc"}' });
  });

  it('an answer outside the route\'s schema is a bad-answer client error', async () => {
    const { api } = fakeServer({ status: 200, body: { ...STATUS, generation: -1 } });
    const e = await api.call('vault.status').catch((x: unknown) => x);
    expect(isClientError(e, 'bad-answer')).toBe(true);
  });

  it('discardAnswer reads no body, even one outside the schema', async () => {
    const { api } = fakeServer({ status: 200, body: 'not json' });
    await expect(api.call('vault.loginFinish', { body: { loginId: 'a', finishLoginRequest: 'b' }, discardAnswer: true })).resolves.toBeUndefined();
  });
});
