// `npm run bench:bundles`: builds every route's Lambda bundle exactly as `cdk synth` does (the same RouteFunction
// construct, so NodejsFunction runs local esbuild with lib/bundling.ts's options), records each bundle's size
// (limit 1.5 MB = 1,500,000 bytes; exit 1 above it) and measures its cold module-load time: a fresh `node` process
// with the functions' environment imports the bundle, BENCH_RUNS times (default 7), median reported (goal 200 ms).
// Writes its section of docs/benchmarks.md. Assets go to /dev/shm (removed afterwards).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import { ROUTES } from '../functions/routes.js';
import { BASE_ENVIRONMENT } from '../lib/bundling.js';
import { parseConfig } from '../lib/config.js';
import { RouteFunction } from '../lib/constructs/route-function.js';
import { SERVER_SETUP_ENTRY } from '../lib/constructs/server-setup.js';
import { SERVER_SETUP_FUNCTION_ID } from '../lib/names.js';
import { machineNote, writeSection } from './report.js';

export const SIZE_LIMIT_BYTES = 1_500_000;
export const LOAD_GOAL_MS = 200;
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

interface Target { id: string; entry: string; handler: string }
interface Result extends Target { bytes: number; mapBytes: number; loadMs: number; readyMs: number }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** What a cold start imports: the bundle, with the environment the app gives it (dummy values, no AWS calls). */
function loadOnce(file: string): { loadMs: number; readyMs: number } {
  const script = `const t=performance.now();await import(${JSON.stringify(pathToFileURL(file).href)});` +
    'console.log(JSON.stringify({loadMs:performance.now()-t,readyMs:performance.now()}));';
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      PATH: process.env.PATH ?? '',
      ...BASE_ENVIRONMENT,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      VAULT_TABLE: 'bkv-vault',
      KMS_KEY_ID: 'arn:aws:kms:us-east-1:111122223333:key/mrk-bench',
      MAX_ATTEMPTS: '10',
      BACKUP_BUCKET: 'bkv-backups-111122223333-us-east-1',
    },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!) as { loadMs: number; readyMs: number };
}

async function main(): Promise<void> {
  const outdir = mkdtempSync(path.join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'bkv-bundles-'));
  try {
    const config = parseConfig(() => undefined);
    const app = new App({ outdir });
    const stack = new Stack(app, 'BkvBundles', { env: { region: config.regions.primary } });
    const targets: Target[] = [
      ...ROUTES.map((r) => ({ id: r.id, entry: r.entry, handler: r.handler })),
      { id: SERVER_SETUP_FUNCTION_ID, entry: SERVER_SETUP_ENTRY, handler: 'handler' },
    ];
    const started = performance.now();
    const files = new Map<string, string>();
    for (const t of targets) {
      const fn = new RouteFunction(stack, t.id, {
        config, region: config.regions.primary, functionId: t.id, entry: t.entry, handler: t.handler, description: t.id,
      });
      const staging = fn.function.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
      if (!staging) throw new Error(`${t.id}: no asset staged`);
      files.set(t.id, path.join(staging.absoluteStagedPath, 'index.mjs'));
    }
    const bundleMs = performance.now() - started;

    const loads = new Map<string, { loadMs: number; readyMs: number }>();
    const results: Result[] = targets.map((t) => {
      const file = files.get(t.id)!;
      let load = loads.get(file);
      if (!load) {
        loadOnce(file); // warm the page cache; not counted
        const runs = Array.from({ length: RUNS }, () => loadOnce(file));
        load = { loadMs: median(runs.map((r) => r.loadMs)), readyMs: median(runs.map((r) => r.readyMs)) };
        loads.set(file, load);
      }
      return { ...t, bytes: statSync(file).size, mapBytes: statSync(`${file}.map`).size, ...load };
    });

    const rows = results.map((r) =>
      `| \`${r.id}\` | \`${r.entry}\` | ${(r.bytes / 1e6).toFixed(3)} | ${(r.mapBytes / 1e6).toFixed(3)} | ${r.loadMs.toFixed(0)} | ${r.readyMs.toFixed(0)} |`);
    const over = results.filter((r) => r.bytes >= SIZE_LIMIT_BYTES);
    const slow = results.filter((r) => r.loadMs >= LOAD_GOAL_MS);
    const body = [
      'Command: `npm run bench:bundles` (BENCH_RUNS=' + RUNS + '). Each bundle is built by the app\'s own `RouteFunction` construct, i.e. ' +
      '`NodejsFunction` running local esbuild with `lib/bundling.ts` (ESM, `target=node22`, minified, external source map ' +
      'without sources content, everything bundled including the AWS SDK, a `require` banner for CommonJS dependencies).',
      `Machine: ${machineNote()}; 1-minute load average at start ${loadavg()[0]!.toFixed(2)}. Bundling all ${targets.length} functions took ` +
      `${(bundleMs / 1000).toFixed(1)} s (identical entries are bundled once).`,
      `Load = median of ${RUNS} fresh \`node\` processes importing the bundle with the functions' environment (\`await import()\` ` +
      'duration, what a cold start spends before the first invocation on top of the runtime\'s own start); ready = the ' +
      'same processes\' time from process start to import done. Lambda runs nodejs22.x on arm64 (Graviton) with 1024 MB; ' +
      'this machine runs Node 20 on x86-64, so treat the figures as relative.',
      '',
      '| function | entry | bundle MB | source map MB | load ms | ready ms |',
      '| --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
      `Size limit 1.5 MB: ${over.length === 0 ? 'every bundle is under it' : `**over: ${over.map((r) => r.id).join(', ')}**`}. ` +
      `Load goal ${LOAD_GOAL_MS} ms: ${slow.length === 0 ? 'every bundle loads under it' : `**missed by: ${[...new Set(slow.map((r) => r.entry))].join(', ')}**`}.`,
    ].join('\n');
    await writeSection('## Lambda bundles (`npm run bench:bundles`)', body);
    console.log(body);
    if (over.length > 0) process.exitCode = 1;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

await main();
