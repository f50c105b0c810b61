// Worker threads for age in the `bkv` CLI: BKV_WORKERS (0–4) when set, else the command's own default.
// `encrypt` and `decrypt` are bound by the cipher and use the library default (one fewer than the cores, at
// most 3: client/age/batch-transform.ts); `backup` and `restore` are bound by the storage path, which age on
// one thread already outruns (docs/benchmarks.md), so they use none and save each worker's ~25 MiB.

import { BkvError } from '../../protocol/errors.js';

export function cryptoWorkers(env: NodeJS.ProcessEnv, fallback = 0): number {
  const raw = env.BKV_WORKERS;
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 4) throw new BkvError('bad-request', 'BKV_WORKERS must be an integer from 0 to 4');
  return n;
}

/** Says on stderr when a worker thread died and its batches were redone on the main thread (the output is exact). */
export function reportRedone(stream: { batches: { redone: number } }): void {
  if (stream.batches.redone > 0) process.stderr.write('bkv: warning: a worker thread stopped; its work was redone on the main thread\n');
}
