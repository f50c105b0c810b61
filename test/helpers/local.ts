// Test helpers: a local runtime on a free port with a fresh data dir, and a cheap OPAQUE key stretching
// (the protocol's Argon2id costs ~0.5 s per login; tests that are not about it use this instead). Tokens come
// from the runtime's scripts-and-tests shortcut (`POST /local/v1/token` with the secret of its data dir, or
// `runtime.token()` in-process); the sign-in itself is tested in a real browser (test/e2e/sign-in.test.ts).

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocal, type LocalOptions, type LocalRuntime } from '../../local/server.js';
import { VaultClient } from '../../client/vault-client.js';
import type { RealmSet } from '../../protocol/realm/schemas.js';

export const CHEAP_STRETCHING = { 'argon2id-custom': { iterations: 1, memory: 1024, parallelism: 1 } } as const;

export interface TestRuntime extends LocalRuntime {
  dataDir: string;
  vaultClient(accountId: string): Promise<VaultClient>;
  stop(): Promise<void>;
}

/** Runtimes of this test process by URL, so `cliEnv` can hand a CLI child the shortcut's secret file. */
export const TEST_RUNTIMES = new Map<string, string>();
/** The clock a runtime was started with, by URL: what its signed requests' expiry is judged by. */
export const TEST_CLOCKS = new Map<string, () => number>();

export async function startTestRuntime(options: Partial<LocalOptions> = {}): Promise<TestRuntime> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'bkv-test-')));
  const runtime = await startLocal({ inMemory: true, ...options, dataDir });
  TEST_RUNTIMES.set(runtime.url, runtime.tokenSecretFile);
  if (options.clock) TEST_CLOCKS.set(runtime.url, () => options.clock!.now());
  return {
    ...runtime,
    dataDir,
    vaultClient: async (accountId) => new VaultClient({
      server: runtime.url, token: await runtime.token(accountId), keyStretching: CHEAP_STRETCHING,
    }),
    stop: async () => {
      TEST_RUNTIMES.delete(runtime.url);
      TEST_CLOCKS.delete(runtime.url);
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

/** The shortcut's secret file in a runtime's data dir (local/keys.ts TOKEN_SECRET_FILE). */
export const tokenSecretFile = (dataDir: string) => join(dataDir, 'local-token-secret');

/** `POST /local/v1/token` as a script would send it: with the data dir's secret (`secret: false` leaves it out). */
export function localTokenRequest(url: string, dataDir: string, accountId: string, init: { secret?: string | false; signal?: AbortSignal } = {}): Promise<Response> {
  const secret = init.secret === undefined ? readFileSync(tokenSecretFile(dataDir), 'utf8').trim() : init.secret;
  return fetch(`${url}/local/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret === false ? {} : { authorization: `Bearer ${secret}` }) },
    body: JSON.stringify({ accountId }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
}

/** A token for `accountId` from the shortcut of the runtime at `url` with data dir `dataDir`. */
export async function localToken(url: string, dataDir: string, accountId: string): Promise<string> {
  const res = await localTokenRequest(url, dataDir, accountId);
  if (res.status !== 200) throw new Error(`local token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Realm ids 1..n as local/main.ts numbers them (fifteen zero bytes and the number). */
export const localRealmId = (i: number) => Buffer.concat([Buffer.alloc(15), Buffer.of(i)]).toString('base64url');

export interface TestRealms {
  /** Realm 1: runs the identity provider and publishes the set at `GET /v1/realms`. */
  primary: TestRuntime;
  all: TestRuntime[];
  set: RealmSet;
  /** A token of the primary's provider, accepted by every realm. */
  token(accountId: string): Promise<string>;
  /** Whether the primary publishes the set (off: it serves as a single, protocol-2 vault, as before realms), or another set. */
  publish(on: boolean | RealmSet): void;
  stop(): Promise<void>;
}

/** n local runtimes as a t-of-n realm set: separate data dirs and sealer keys, one identity provider (realm 1's). */
export async function startTestRealms(n: number, threshold: number, options: Partial<LocalOptions> = {}): Promise<TestRealms> {
  const published: { set?: RealmSet } = {};
  const primary = await startTestRuntime({ ...options, realm: { id: localRealmId(1), set: () => published.set } });
  const others = await Promise.all(Array.from({ length: n - 1 }, (_, i) => startTestRuntime({
    ...options, realm: { id: localRealmId(i + 2), trust: primary.trustAnchor },
  })));
  const all = [primary, ...others];
  const set = { threshold, realms: all.map((r, i) => ({ id: localRealmId(i + 1), url: r.url, publicKey: r.realmPublicKey })) };
  published.set = set;
  return {
    primary, all, set,
    token: (accountId) => primary.token(accountId),
    publish: (on) => {
      published.set = on === true ? set : on === false ? undefined : on;
    },
    stop: async () => {
      await Promise.all(all.map((r) => r.stop()));
    },
  };
}
