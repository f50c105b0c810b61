// `npm run bench:vault`: login start and finish latency (p50/p99) and login starts per second against the
// local runtime (`npm start` in a child process, real HTTP on loopback), client-side Argon2 excluded (the
// clients use a cheap key stretching; the server's work does not depend on it). Writes its section of
// docs/benchmarks.md.

import * as opaque from '@serenity-kit/opaque';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaultClient } from '../client/vault-client.js';
import { freePort } from '../local/free-port.js';
import { machineNote, percentile, writeSection } from './report.js';

const STRETCH = { 'argon2id-custom': { iterations: 1, memory: 1024, parallelism: 1 } } as const;
const SEQUENTIAL = Number(process.env.BENCH_LOGINS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const DURATION_MS = Number(process.env.BENCH_SECONDS ?? 8) * 1000;

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dataDir = await mkdtemp(join(tmpdir(), 'bkv-bench-'));
  const port = await freePort();
  const server = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: { ...process.env, BKV_PORT: String(port), BKV_DATA_DIR: dataDir, BKV_MAX_ATTEMPTS: '255' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await new Promise<void>((resolve, reject) => {
      server.stdout.on('data', (d: Buffer) => d.toString().includes('listening') && resolve());
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    await opaque.ready;
    const token = async (accountId: string) =>
      ((await (await fetch(`${url}/local/v1/token`, {
        method: 'POST', body: JSON.stringify({ accountId }),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${(await readFile(join(dataDir, 'local-token-secret'), 'utf8')).trim()}` },
      })).json()) as { token: string }).token;
    const post = (path: string, tok: string, body: unknown) =>
      fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    // Accounts, each registered once.
    const accounts = await Promise.all(Array.from({ length: CONCURRENCY * 2 }, async (_, i) => {
      const tok = await token(`bench-${i}`);
      await new VaultClient({ server: url, token: tok, keyStretching: STRETCH }).register(new Uint8Array(randomBytes(32)), 'pw');
      return tok;
    }));

    // Sequential full logins: time start and finish separately; the client's OPAQUE steps are outside the timers.
    const starts: number[] = [];
    const finishes: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const tok = accounts[i % accounts.length]!;
      const c = opaque.client.startLogin({ password: 'pw' });
      let t = performance.now();
      const res = await post('/v1/vault/login/start', tok, { startLoginRequest: c.startLoginRequest });
      const started = (await res.json()) as { loginId: string; loginResponse: string };
      starts.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`login start answered ${res.status}`);
      const f = opaque.client.finishLogin({ clientLoginState: c.clientLoginState, loginResponse: started.loginResponse, password: 'pw', keyStretching: STRETCH })!;
      t = performance.now();
      const fin = await post('/v1/vault/login/finish', tok, { loginId: started.loginId, finishLoginRequest: f.finishLoginRequest });
      await fin.arrayBuffer();
      finishes.push(performance.now() - t);
      if (fin.status !== 200) throw new Error(`login finish answered ${fin.status}`);
    }

    // Throughput: CONCURRENCY workers issuing login starts for DURATION_MS, each on its own account; an account
    // is re-registered when its 255 attempts are spent (that re-registration is not counted).
    const ke1 = opaque.client.startLogin({ password: 'pw' }).startLoginRequest;
    let count = 0;
    const deadline = performance.now() + DURATION_MS;
    const began = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
      const tok = accounts[w]!;
      let used = 0;
      while (performance.now() < deadline) {
        if (used === 250) {
          await new VaultClient({ server: url, token: tok, keyStretching: STRETCH }).register(new Uint8Array(32), 'pw');
          used = 0;
        }
        const res = await post('/v1/vault/login/start', tok, { startLoginRequest: ke1 });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`login start answered ${res.status}`);
        used++;
        count++;
      }
    }));
    const rate = count / ((performance.now() - began) / 1000);

    starts.sort((a, b) => a - b);
    finishes.sort((a, b) => a - b);
    const ms = (v: number) => v.toFixed(2);
    const table = [
      '| measure | p50 | p99 |',
      '| --- | --- | --- |',
      `| login start (ms) | ${ms(percentile(starts, 50))} | ${ms(percentile(starts, 99))} |`,
      `| login finish (ms) | ${ms(percentile(finishes, 50))} | ${ms(percentile(finishes, 99))} |`,
    ].join('\n');
    const text = `Command: \`npm run bench:vault\` (BENCH_LOGINS=${SEQUENTIAL}, BENCH_CONCURRENCY=${CONCURRENCY}, BENCH_SECONDS=${DURATION_MS / 1000}).
Machine: ${machineNote()}; server = \`npm start\` in a child process (dynalite, local AES-GCM sealer), client over HTTP on loopback.
Client-side Argon2 is excluded; each login start = strongly consistent read + 2 seal/unseal + OPAQUE KE2 + one conditional write.

${table}

Login starts per second with ${CONCURRENCY} concurrent clients: **${rate.toFixed(0)}/s** (${count} starts in ${(DURATION_MS / 1000).toFixed(0)} s).

In AWS the same handler adds a KMS Decrypt and Encrypt (~5–10 ms each) and DynamoDB MRSC writes (synchronous
replication to a second region, tens of ms), so expect login start p50 of roughly 40–80 ms there; this figure
measures the code path, not AWS.`;
    console.log(text);
    await writeSection('## Vault (`npm run bench:vault`)', text);
  } finally {
    server.kill('SIGINT');
    await new Promise((r) => server.once('exit', r));
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
