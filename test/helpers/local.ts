// Test helpers: a local runtime on a free port with a fresh data dir, and a cheap OPAQUE key stretching
// (the protocol's Argon2id costs ~0.5 s per login; tests that are not about it use this instead).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocal, type LocalOptions, type LocalRuntime } from '../../local/server.js';
import { VaultClient } from '../../client/vault-client.js';

export const CHEAP_STRETCHING = { 'argon2id-custom': { iterations: 1, memory: 1024, parallelism: 1 } } as const;

export interface TestRuntime extends LocalRuntime {
  dataDir: string;
  vaultClient(accountId: string): Promise<VaultClient>;
  stop(): Promise<void>;
}

export async function startTestRuntime(options: Partial<LocalOptions> = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'bkv-test-')));
  const runtime = await startLocal({ inMemory: true, ...options, dataDir });
  return {
    ...runtime,
    dataDir,
    vaultClient: async (accountId) => new VaultClient({
      server: runtime.url, token: await runtime.token(accountId), keyStretching: CHEAP_STRETCHING,
    }),
    stop: async () => {
      await runtime.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export async function post(runtime: LocalRuntime, path: string, token: string | undefined, body: unknown, contentType = 'application/json'): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (token) headers.authorization = `Bearer ${token}`;
  return fetch(runtime.url + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

/** `GET /v1/vault` with `token`, as a plain object (tests compare it before and after). */
export async function vaultStatus(runtime: LocalRuntime, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${runtime.url}/v1/vault`, { headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as Record<string, unknown>;
}
