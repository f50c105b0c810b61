// `npm run bench:vault` (second part): the realm protocol with 1 and 3 realms (2-of-3) in this process, over HTTP on
// loopback, each realm a local runtime with its own table and sealer key (local/server.ts). Measures a full
// registration and a full recovery as a client sees them (p50/p99; the cheap Argon2id of the tests, so the figures
// are the protocol's cost: VOPRF blinding, each realm's count + unseal + evaluation with a DLEQ proof, the proofs'
// checks, the unlock proofs and share boxes), and counted recovery starts per second at one realm. Writes its
// section of docs/benchmarks.md.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBase64url, encodeBase64url } from '../protocol/base64url.js';
import { blind } from '../protocol/realm/toprf.js';
import type { RealmSet } from '../protocol/realm/schemas.js';
import { RealmVault, realmEndpoint } from '../client/realm-vault.js';
import { startLocal, type LocalRuntime } from '../local/server.js';
import { machineNote, percentile, writeSection } from './report.js';

const STRETCH = { 'argon2id-custom': { iterations: 1, memory: 1024, parallelism: 1 } } as const;
const RUNS = Number(process.env.BENCH_RECOVERIES ?? 60);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 8) * 1000;
const id = (i: number) => Buffer.concat([Buffer.alloc(15), Buffer.of(i)]).toString('base64url');

async function realmSet(n: number, t: number): Promise<{ set: RealmSet; runtimes: LocalRuntime[]; dirs: string[] }> {
  const dirs = await Promise.all(Array.from({ length: n }, () => mkdtemp(join(tmpdir(), 'bkv-bench-realm-'))));
  const first = await startLocal({ dataDir: dirs[0]!, inMemory: true, maxAttempts: 255, realm: { id: id(1) } });
  const rest = await Promise.all(dirs.slice(1).map((d, i) => startLocal({ dataDir: d, inMemory: true, maxAttempts: 255, realm: { id: id(i + 2), trust: first.trustAnchor } })));
  const runtimes = [first, ...rest];
  return { set: { threshold: t, realms: runtimes.map((r, i) => ({ id: id(i + 1), url: r.url, publicKey: r.realmPublicKey })) }, runtimes, dirs };
}

async function measure(n: number, t: number) {
  const { set, runtimes, dirs } = await realmSet(n, t);
  try {
    const vault = async (account: string) => {
      const token = await runtimes[0]!.token(account);
      return new RealmVault({ account, threshold: t, stretching: STRETCH, realms: set.realms.map((r) => ({ id: decodeBase64url(r.id)!, publicKey: decodeBase64url(r.publicKey)!, endpoint: realmEndpoint({ server: r.url, token }) })) });
    };
    const registrations: number[] = [];
    const recoveries: number[] = [];
    const v = await vault('bench-0');
    const K = new Uint8Array(randomBytes(32));
    for (let i = 0; i < RUNS; i++) {
      let t0 = performance.now();
      await v.register(K, 'pw');
      registrations.push(performance.now() - t0);
      t0 = performance.now();
      await v.recover('pw');
      recoveries.push(performance.now() - t0);
    }
    // Counted starts per second at realm 1, CONCURRENCY accounts, each re-registered (not timed apart) when its L is spent.
    const accounts = await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
      const account = `bench-start-${w}`;
      const a = await vault(account);
      const limit = (await a.register(K, 'pw')).allowedGuesses[0]!;
      const status = (await a.status())[0]!;
      return { a, limit, token: await runtimes[0]!.token(account), version: 'status' in status ? status.status.version! : '' };
    }));
    const element = encodeBase64url(blind(new Uint8Array(32)).blindedElement);
    let count = 0;
    const errors: number[] = [];
    const began = performance.now();
    const deadline = began + DURATION_MS;
    await Promise.all(accounts.map(async (acc) => {
      let used = 0;
      while (performance.now() < deadline) {
        if (used === acc.limit) {
          await acc.a.register(K, 'pw');
          const s = (await acc.a.status())[0]!;
          acc.version = 'status' in s ? s.status.version! : '';
          used = 0;
        }
        const res = await fetch(`${set.realms[0]!.url}/v1/realm/recovery/start`, {
          method: 'POST', headers: { authorization: `Bearer ${acc.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ version: acc.version, blindedElement: element }),
        });
        await res.arrayBuffer();
        if (res.status !== 200) {
          errors.push(res.status);
          used = acc.limit; // re-register and go on (a spent or replaced registration)
          continue;
        }
        used++;
        count++;
      }
    }));
    if (errors.length > 0) console.error(`recovery starts answered ${errors.length} times with ${[...new Set(errors)].join(', ')}`);
    registrations.sort((a, b) => a - b);
    recoveries.sort((a, b) => a - b);
    return { registrations, recoveries, rate: count / ((performance.now() - began) / 1000) };
  } finally {
    await Promise.all(runtimes.map((r) => r.close()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const one = await measure(1, 1);
const three = await measure(3, 2);
const ms = (v: number) => v.toFixed(1);
const row = (name: string, r: Awaited<ReturnType<typeof measure>>) =>
  `| ${name} | ${ms(percentile(r.registrations, 50))} | ${ms(percentile(r.registrations, 99))} | ${ms(percentile(r.recoveries, 50))} | ${ms(percentile(r.recoveries, 99))} | ${r.rate.toFixed(0)} |`;
const text = `Command: \`npm run bench:vault\` (BENCH_RECOVERIES=${RUNS}, BENCH_CONCURRENCY=${CONCURRENCY}, BENCH_SECONDS=${DURATION_MS / 1000}).
Machine: ${machineNote()}, 1-minute load average ${loadavg()[0]!.toFixed(1)} at the end (other work shares the cores: compare rows of one run, not runs); every realm a local runtime in the benchmark's process (dynalite in memory, local AES-GCM
sealer), the client over HTTP on loopback, with the tests' cheap Argon2id (t = 1, 1 MiB): the real setting adds one
Argon2id (t = 3, 64 MiB, p = 4; \`npm run bench:argon2\`) to each registration and recovery, whatever the realm count.

| realm set | registration p50 (ms) | p99 | full recovery p50 (ms) | p99 | counted starts/s at one realm (${CONCURRENCY} clients) |
| --- | --- | --- | --- | --- | --- |
${row('1 realm (1-of-1)', one)}
${row('3 realms (2-of-3)', three)}

Each account is re-registered after its L (10 or 7) starts, inside the window, so starts/s is a floor. A recovery
asks its t realms in parallel (status, counted start, unlock proof: three round trips); the client's
VOPRF proof checks (@noble/curves, pure JS) are most of its time here. In AWS each realm adds its own KMS and
MRSC latency, in parallel across realms.`;
console.log(text);
await writeSection('## Realms (`npm run bench:vault`, second part)', text);
