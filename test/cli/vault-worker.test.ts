// Password recovery runs in a worker thread whose script the CLI entry passes explicitly (client/cli/vault-recover.ts):
// the TypeScript source under tsx (as bin/bkv.js falls back to) and the bundle scripts/build-cli.mjs writes both
// recover K, and the worker's errors come back with their class: a wrong password as the server's BkvError with
// its typed details, a dead server as a ClientError of kind 'unreachable'.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from '../../client/cli/session.js';
import { recoverWithPassword } from '../../client/cli/vault-recover.js';
import { ClientError } from '../../client/errors.js';
import { VaultClient } from '../../client/vault-client.js';
import { BkvError } from '../../protocol/errors.js';
import { build, fresh } from '../../scripts/build-cli.mjs';
import { startTestRuntime, type TestRuntime } from '../helpers/local.js';

const PASSWORD = 'amber-falcon-quiet-harbor';
let rt: TestRuntime;
let home: string;
const K = new Uint8Array(randomBytes(32));

beforeAll(async () => {
  rt = await startTestRuntime();
  home = await mkdtemp(join(tmpdir(), 'bkv-vault-worker-'));
  await new VaultClient({ server: rt.url, token: await rt.token('worker') }).register(K, PASSWORD);
});
afterAll(async () => {
  await rt.stop();
  await rm(home, { recursive: true, force: true });
});

async function session(vaultWorker: URL, server = rt.url): Promise<Session> {
  return new Session({ server }, { BKV_HOME: home, BKV_TOKEN: await rt.token('worker') }, { vaultWorker });
}

async function deadServer(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return `http://127.0.0.1:${port}`;
}

const scripts: [string, () => Promise<URL>][] = [
  ['the TypeScript source (tsx)', async () => new URL('../../client/cli/vault-worker.ts', import.meta.url)],
  ['the bundle in dist/cli', async () => {
    const bundles = (await fresh()) ?? (await build());
    if (!bundles) throw new Error('no bundle');
    return pathToFileURL(bundles['vault-worker']!);
  }],
];

describe.each(scripts)('password recovery in a worker running %s', (_, script) => {
  it('recovers K', async () => {
    expect(await recoverWithPassword(await session(await script()), PASSWORD)).toEqual(K);
  }, 60_000);

  it('a wrong password is the server\'s BkvError with its typed details', async () => {
    const e = await recoverWithPassword(await session(await script()), 'not the password').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(BkvError);
    const remaining = (e as BkvError).wireDetails('wrong-password')?.attemptsRemaining;
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThan(10);
  }, 60_000);

  it('a dead server is a ClientError of kind unreachable', async () => {
    const e = await recoverWithPassword(await session(await script(), await deadServer()), PASSWORD).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ClientError);
    expect((e as ClientError).kind).toBe('unreachable');
  }, 60_000);
});
