// Local failures of signing in are client-local errors (client/errors.ts), not wire errors: nothing a server said
// is behind them. Each keeps the message and the CLI exit code it had (client/cli/exit.ts): not signed in, a sign-in
// that timed out or has no free port (1), a damaged or readable sign-in file (2), a server that offers no sign-in
// document or a bad one (1), no server at all (1).

import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoopback } from '../../../client/auth/loopback.js';
import { fetchSignInConfig, signInRequired } from '../../../client/auth/sign-in.js';
import { SIGN_IN_FILE, TokenStore } from '../../../client/auth/token-store.js';
import { exitCodeFor } from '../../../client/cli/exit.js';
import { isClientError } from '../../../client/errors.js';
import { BkvError } from '../../../protocol/errors.js';

let home: string;
beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'bkv-auth-errors-'));
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

/** What the error is, what the CLI exits with, what it says. */
function seen(e: unknown) {
  return {
    wire: e instanceof BkvError,
    kind: isClientError(e) ? e.kind : undefined,
    exit: exitCodeFor(e),
    message: (e as Error).message,
  };
}

const answering = (status: number, body: string) => (async () => new Response(body, { status })) as unknown as typeof fetch;

describe('local sign-in failures are client-local errors', () => {
  it('not signed in: kind sign-in, exit 1, the same words', () => {
    expect(seen(signInRequired('https://bkv.example'))).toEqual({
      wire: false, kind: 'sign-in', exit: 1, message: 'not signed in to https://bkv.example: sign in with bkv login --server https://bkv.example',
    });
  });

  it('a damaged sign-in file: kind usage, exit 2, and it stays as it was', async () => {
    const dir = await mkdtemp(join(home, 'damaged-'));
    await writeFile(join(dir, SIGN_IN_FILE), '{not json', { mode: 0o600 });
    const e = await new TokenStore(dir).get('https://bkv.example').catch((x: unknown) => x);
    expect(seen(e)).toEqual({ wire: false, kind: 'usage', exit: 2, message: `${join(dir, SIGN_IN_FILE)} is damaged; remove it and sign in again (bkv login)` });
  });

  it('a sign-in file others can read: kind usage, exit 2', async () => {
    const dir = await mkdtemp(join(home, 'open-'));
    const file = join(dir, SIGN_IN_FILE);
    await writeFile(file, '{}');
    await chmod(file, 0o644);
    const e = await new TokenStore(dir).get('https://bkv.example').catch((x: unknown) => x);
    expect(seen(e)).toEqual({ wire: false, kind: 'usage', exit: 2, message: `${file} is readable by others; run: chmod 600 ${file}` });
  });

  it.for([
    [404, '', 'https://bkv.example does not offer sign-in (no GET /v1/auth); set BKV_TOKEN instead'],
    [502, '', 'https://bkv.example answered 502 for its sign-in settings'],
    [200, '{"issuer":1}', 'https://bkv.example answered sign-in settings that do not match the protocol'],
  ] as const)('a server answering %i %j for its sign-in document: kind bad-answer, exit 1', async ([status, body, message]) => {
    const e = await fetchSignInConfig('https://bkv.example', answering(status, body)).catch((x: unknown) => x);
    expect(seen(e)).toEqual({ wire: false, kind: 'bad-answer', exit: 1, message });
  });

  it('no server at all: kind unreachable, exit 1', async () => {
    const refused = (async () => { throw new TypeError('fetch failed'); }) as unknown as typeof fetch;
    const e = await fetchSignInConfig('https://bkv.example', refused).catch((x: unknown) => x);
    expect(seen(e)).toEqual({ wire: false, kind: 'unreachable', exit: 1, message: 'cannot reach bkv.example (is the server running?)' });
  });

  it('no answer from the browser in time: kind sign-in, exit 1', async () => {
    const loopback = await startLoopback({ host: '127.0.0.1', ports: [], timeoutMs: 50 });
    try {
      const e = await loopback.callback.catch((x: unknown) => x);
      expect(seen(e)).toEqual({ wire: false, kind: 'sign-in', exit: 1, message: 'sign-in timed out: no answer from the browser; run bkv login again' });
    } finally {
      await loopback.close();
    }
  });

  it('every fixed port taken: kind sign-in, exit 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const e = await startLoopback({ host: '127.0.0.1', ports: [port] }).catch((x: unknown) => x);
      expect(seen(e)).toMatchObject({ wire: false, kind: 'sign-in', exit: 1 });
      expect((e as Error).message).toBe(`cannot listen for the sign-in answer: ports ${port} on 127.0.0.1 are all in use`);
    } finally {
      taken.close();
    }
  });
});
