// Worker threads for age in the `bkv` CLI: BKV_WORKERS (0–4), default 0 in every command. The library's own
// default (one fewer than the cores) is faster on two cores, 1.2–1.4× for `bkv encrypt|decrypt`, but a worker
// thread costs the process ~30 MiB (an isolate of its own and a second malloc arena for V8's garbage), which
// takes `bkv encrypt` from ~90 MiB to ~120 MiB peak RSS, over the 100 MiB budget of the backup-file layer;
// `backup` and `restore` are bound by the storage path, which age on one thread already outruns
// (docs/benchmarks.md). Set BKV_WORKERS=1 or more where the cores and the memory are there to spend.

import { intSetting, type IntBounds } from '../../protocol/settings.js';

export const BKV_WORKERS: IntBounds = { min: 0, max: 4, default: 0 };

export function cryptoWorkers(env: NodeJS.ProcessEnv): number {
  return intSetting('BKV_WORKERS', env.BKV_WORKERS, BKV_WORKERS);
}

/** Says on stderr when a worker thread died and its batches were redone on the main thread (the output is exact). */
export function reportRedone(stream: { batches: { redone: number } }): void {
  if (stream.batches.redone > 0) process.stderr.write('bkv: warning: a worker thread stopped; its work was redone on the main thread\n');
}
