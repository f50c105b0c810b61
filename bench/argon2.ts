// `npm run bench:argon2`: what one password guess costs an offline attacker. Times the client's OPAQUE
// finishRegistration (@serenity-kit/opaque, whose cost is the protocol's Argon2id: t=3, m=64 MiB, p=4; the rest
// of the step is a few curve operations, measured separately with a trivial key stretching and subtracted) on
// one core: WASM runs on this thread only, the 4 lanes one after another. When Debian's `argon2` CLI (the
// reference C implementation) is installed it is timed too, pinned to one core with taskset, because an attacker
// uses native code, not WASM. Median of BENCH_RUNS runs each; reports the load average. Writes its section of
// docs/benchmarks.md; protocol/password-strength.ts keeps the resulting rate as a constant.

import * as opaque from '@serenity-kit/opaque';
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { OPAQUE_KEY_STRETCHING } from '../protocol/constants.js';
import { machineNote, writeSection } from './report.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const CHEAP = { 'argon2id-custom': { iterations: 1, memory: 8, parallelism: 1 } } as const;
const { iterations, memory, parallelism } = OPAQUE_KEY_STRETCHING['argon2id-custom'];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

type KeyStretching = typeof CHEAP | typeof OPAQUE_KEY_STRETCHING;

function finishRegistrationMs(keyStretching: KeyStretching, serverSetup: string): number {
  const password = 'correct horse battery staple';
  const { clientRegistrationState, registrationRequest } = opaque.client.startRegistration({ password });
  const { registrationResponse } = opaque.server.createRegistrationResponse({ serverSetup, userIdentifier: 'bench', registrationRequest });
  const t = performance.now();
  opaque.client.finishRegistration({ clientRegistrationState, registrationResponse, password, keyStretching });
  return performance.now() - t;
}

/** One run of the reference argon2 CLI pinned to CPU 0, in ms (its own timer), or undefined without the tool. */
function nativeMs(): number | undefined {
  const args = ['-c', '0', 'argon2', 'bkv-bench-salt', '-id', '-t', String(iterations), '-m', String(Math.log2(memory)), '-p', String(parallelism)];
  const run = spawnSync('taskset', args, { input: 'correct horse battery staple', encoding: 'utf8' });
  if (run.error || run.status !== 0) return undefined;
  const m = /([\d.]+) seconds/.exec(run.stdout);
  return m ? Number(m[1]) * 1000 : undefined;
}

async function main(): Promise<void> {
  await opaque.ready;
  const serverSetup = opaque.server.createSetup();
  const loadStart = loadavg()[0]!;
  finishRegistrationMs(OPAQUE_KEY_STRETCHING, serverSetup); // warm-up: WASM compile, first 64 MiB grow
  const cheap = median(Array.from({ length: RUNS }, () => finishRegistrationMs(CHEAP, serverSetup)));
  const wasm = Array.from({ length: RUNS }, () => finishRegistrationMs(OPAQUE_KEY_STRETCHING, serverSetup) - cheap);
  const native = nativeMs() === undefined ? [] : Array.from({ length: RUNS }, () => nativeMs()!);
  const loadEnd = loadavg()[0]!;

  const wasmMs = median(wasm);
  const nativeMedian = native.length ? median(native) : undefined;
  const attackerMs = Math.min(wasmMs, nativeMedian ?? Infinity);
  const perCore = 1000 / attackerMs;
  const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
  const lines = [
    `Argon2id t=${iterations}, m=${memory / 1024} MiB, p=${parallelism} on one core, median of ${RUNS} runs`,
    `  @serenity-kit/opaque (WASM) finishRegistration: ${fmt(wasmMs)} (min ${fmt(Math.min(...wasm))}, max ${fmt(Math.max(...wasm))}; the step without Argon2id: ${cheap.toFixed(1)} ms, subtracted)`,
    nativeMedian === undefined
      ? '  reference C argon2 CLI: not installed (apt-get install argon2)'
      : `  reference C argon2 CLI, taskset -c 0: ${fmt(nativeMedian)} (min ${fmt(Math.min(...native))}, max ${fmt(Math.max(...native))})`,
    `  attacker rate (the faster): ${perCore.toFixed(2)} guesses/s per core, ${Math.round(perCore * 10_000).toLocaleString('en')} guesses/s on 10,000 cores`,
    `  1-minute load average: ${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const cpu = execFileSync('nproc', { encoding: 'utf8' }).trim();

  await writeSection('## Password guessing cost (`npm run bench:argon2`)', `
Command: \`npm run bench:argon2\` (BENCH_RUNS=${RUNS}). What one offline password guess costs: one evaluation of
the protocol's Argon2id (t=${iterations}, m=${memory / 1024} MiB, p=${parallelism}; \`protocol/constants.ts\`), on one core.
Machine: ${machineNote()} (${cpu} online); 1-minute load average ${loadStart.toFixed(2)} at start, ${loadEnd.toFixed(2)} at end.

| implementation | median | min | max |
| --- | --- | --- | --- |
| @serenity-kit/opaque finishRegistration (WASM, what bkv runs), step without Argon2id (${cheap.toFixed(1)} ms) subtracted | ${fmt(wasmMs)} | ${fmt(Math.min(...wasm))} | ${fmt(Math.max(...wasm))} |
${nativeMedian === undefined
    ? '| reference C `argon2` CLI | not installed | | |'
    : `| reference C \`argon2\` CLI (Debian \`argon2\`), \`taskset -c 0\` | ${fmt(nativeMedian)} | ${fmt(Math.min(...native))} | ${fmt(Math.max(...native))} |`}

Attacker rate, from the faster of the two: **${perCore.toFixed(2)} guesses per second per core**, so about
**${Math.round(perCore * 10_000).toLocaleString('en')} guesses per second on 10,000 cores** (memory: 64 MiB per
guess in flight, 640 GiB for 10,000 at once). \`protocol/password-strength.ts\` keeps this rate as
\`ARGON2ID_GUESSES_PER_SECOND_PER_CORE\`; the thresholds it supports are in
[threat-model.md](threat-model.md#password-strength). Optimised attacker code (or GPUs, which Argon2id's
64 MiB per guess slows but does not stop) may do a few times better per core; the thresholds leave room for that.
`);
}

await main();
