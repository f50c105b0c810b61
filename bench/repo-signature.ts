// `npm run bench:signature`: what signed repository requests (docs/protocol.md "Signed requests") cost. Measures
// the client's signing (RequestSigner.header: nonce, SHA-256 of the body, Ed25519 sign) and the server's whole check
// (functions/repo/signatures.ts: parse, expiry, key lookup, Ed25519 verify, the nonce's conditional write, on the
// memory store) in µs per request, over BENCH_SIGN_RUNS requests with a typical `uploads` body; then counts the
// signed requests a real backup makes (HttpRepoStore against the local runtime, BENCH_BACKUP_MIB of random data,
// default 64) and scales them to 1 GiB. Writes its section of docs/benchmarks.md.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../client/http.js';
import { backup } from '../client/repo/commands/backup.js';
import { HttpRepoStore } from '../client/repo/storage/http-store.js';
import { initRepository } from '../client/repo/repository.js';
import { RequestSigner } from '../client/repo/storage/signing.js';
import { MemoryRepoItemStore } from '../functions/adapters/memory-repo-store.js';
import { verifySigned } from '../functions/repo/signatures.js';
import { systemClock } from '../functions/ports.js';
import { startLocal } from '../local/server.js';
import { machineNote, percentile, writeSection } from './report.js';

const RUNS = Number(process.env.BENCH_SIGN_RUNS ?? 5000);
const BACKUP_MIB = Number(process.env.BENCH_BACKUP_MIB ?? 64);

function stats(samples: number[]): { median: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

async function micro() {
  const key = randomBytes(32);
  const signer = new RequestSigner(key);
  const items = new MemoryRepoItemStore();
  // a fresh account every 1000 requests: an account's nonces are bounded per period (MAX_NONCES_PER_PERIOD)
  const accounts = Array.from({ length: Math.ceil(RUNS / 1000) }, (_, i) => `acct-${i}`);
  for (const a of accounts) {
    await items.setSigningKey(a, signer.publicKey, Date.now());
    await items.setRepositoryId(a, 'a'.repeat(64), Date.now());
  }
  const body = JSON.stringify({ objects: Array.from({ length: 4 }, () => ({ type: 'data', id: randomBytes(32).toString('hex'), size: 12 * 1024 * 1024 })) });
  const sign: number[] = [];
  const verify: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < RUNS; i++) {
    const account = accounts[Math.floor(i / 1000)]!;
    const t0 = performance.now();
    const header = signer.header({ account, repositoryId: 'a'.repeat(64), routeId: 'repo.uploads', method: 'POST', path: '/v1/repo/uploads', body });
    const t1 = performance.now();
    await verifySigned(items, systemClock, account, { routeId: 'repo.uploads', method: 'POST', path: '/v1/repo/uploads', body: Buffer.from(body), header });
    const t2 = performance.now();
    if (i >= 100) { // warm-up left out
      sign.push((t1 - t0) * 1000);
      verify.push((t2 - t1) * 1000);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return { sign: stats(sign), verify: stats(verify), cpuPerRequestUs: (cpu.user + cpu.system) / RUNS };
}

async function count() {
  const dataDir = mkdtempSync(join(tmpdir(), 'bkv-bench-sig-'));
  const rt = await startLocal({ inMemory: true, dataDir });
  const byRoute = new Map<string, number>();
  let all = 0;
  const counting: typeof fetch = async (input, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const path = new URL(String(input instanceof Request ? input.url : input)).pathname;
    if (headers['bkv-signature'] !== undefined) {
      const route = `${init?.method ?? 'GET'} ${path.replace(/[0-9a-f]{32}/, '{lockId}')}`;
      byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
    }
    all++;
    return fetch(input, init);
  };
  const store = new HttpRepoStore(new ApiClient({ server: rt.url, token: await rt.token('bench'), fetch: counting }));
  const src = join(dataDir, 'src');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(src);
  for (let i = 0; i < BACKUP_MIB / 16; i++) writeFileSync(join(src, `f${i}`), randomBytes(16 * 1024 * 1024));
  const repo = await initRepository(store, randomBytes(32), { home: join(dataDir, 'home') });
  const before = new Map(byRoute);
  const beforeAll = all;
  const t0 = performance.now();
  await backup(repo, { paths: [src] });
  const ms = performance.now() - t0;
  await repo.close();
  store.close();
  await rt.close();
  rmSync(dataDir, { recursive: true, force: true });
  const during = [...byRoute].map(([r, n]) => [r, n - (before.get(r) ?? 0)] as const).filter(([, n]) => n > 0);
  return { during, signed: during.reduce((s, [, n]) => s + n, 0), apiCalls: all - beforeAll, ms };
}

const m = await micro();
const c = await count();
const perGiB = (n: number) => Math.round((n * 1024) / BACKUP_MIB);
/** Locks are taken and removed once a backup (refreshed by time); only uploads grow with the data. */
const once = (route: string) => route.includes('/locks');
const signedPerGiB = c.during.reduce((s, [r, n]) => s + (once(r) ? n : perGiB(n)), 0);
const fmt = (x: number) => x.toFixed(0);
const cpuMsPerGiB = (signedPerGiB * (m.sign.median + m.verify.median)) / 1000;
const table = c.during.map(([r, n]) => `| \`${r}\` | ${n} | ${once(r) ? `${n} (once a backup)` : perGiB(n)} |`).join('\n');
const body = `
${machineNote()}. \`npm run bench:signature\` (bench/repo-signature.ts), ${RUNS} requests with a 4-object \`uploads\` body.

| step | median µs | p99 µs |
| --- | --- | --- |
| client: sign (nonce, SHA-256 of the body, Ed25519 sign; RequestSigner.header) | ${fmt(m.sign.median)} | ${fmt(m.sign.p99)} |
| server: whole check (parse, expiry, key, Ed25519 verify, nonce write on the memory store; functions/repo/signatures.ts) | ${fmt(m.verify.median)} | ${fmt(m.verify.p99)} |

CPU per signed request, both sides in one process: ${fmt(m.cpuPerRequestUs)} µs.

A backup of ${BACKUP_MIB} MiB of random data (HttpRepoStore against the local runtime, ${(c.ms / 1000).toFixed(1)} s) made
${c.signed} signed requests of ${c.apiCalls} API calls; scaled to 1 GiB (uploads grow with the data, locks do not):
~${signedPerGiB} signed requests, so ~${cpuMsPerGiB.toFixed(1)} ms of CPU per GiB for signing and checking together,
against seconds of CPU for chunking, hashing and sealing the same GiB (bench:e2e): it does not show there. In AWS
each signed request also makes one conditional UpdateItem for its nonce (latency, no client CPU; not measured here).

| signed request | in the ${BACKUP_MIB} MiB backup | per GiB |
| --- | --- | --- |
${table}
`;
await writeSection('## Signed requests (`npm run bench:signature`)', body);
process.stdout.write(body);
