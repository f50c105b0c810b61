// A minor (young generation) GC on demand, for the places that just turned many MiB of node's I/O or crypto
// buffers into garbage (a big HTTP body received in 64 KiB pieces, a pack sealed or opened): V8 only collects
// such external memory once tens of MiB piled up, per thread, which shows in the process's peak RSS. A minor GC
// of a small heap takes well under a millisecond. Uses V8's --expose-gc through a fresh context (the flag only
// installs gc() in contexts made after it is set); a no-op where that is not possible.
// Nothing here changes the process when imported: the flag is process-wide, so only a process of bkv's own (the
// `bkv` CLI, the local runtime) opts in with tuneThisProcess; an app embedding the SDK keeps its V8 flags and its
// allocator as they are, and minorGc/keepFreedMemory do nothing there. Blob workers import it too, bundled into
// their script or from source under tsx (client/worker-script.ts).
// runtime/ holds what bkv's own processes share about the Node runtime they run on: it imports nothing of the
// project, and both client/ (the CLI, the blob workers) and local/ (`npm start`) import it, so local/ needs
// nothing of client/ for it.

import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's gc() (as --expose-gc installs it), once this thread opted in and where V8 allows it. */
let collect: ((options: { type: 'minor' | 'major' }) => void) | undefined;
let owned = false;

/**
 * Opt-in, once per thread: this process is bkv's own, so minorGc collects (V8's --expose-gc, process-wide) and
 * keepFreedMemory may tune glibc. The blob workers of a pool made afterwards opt in too (blob-pool.ts tells them).
 */
export function tuneThisProcess(): void {
  if (owned) return;
  owned = true;
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as typeof collect;
  } catch {
    collect = undefined;
  }
}

/** Whether this thread opted in (tuneThisProcess). */
export function processTuned(): boolean {
  return owned;
}

/** Runs a minor GC now (a no-op unless this thread opted in and V8 allows it). */
export function minorGc(): void {
  collect?.({ type: 'minor' });
}

let tuned = false;

/**
 * Once per process: keeps glibc's malloc from handing freed memory back to the kernel after every collection.
 * glibc trims the top of a heap once more than its trim threshold is free (128 KiB at first), so node:crypto's
 * 64 KiB output buffers, freed by each collection, are faulted in (and zeroed by the kernel) again and again;
 * it raises the threshold to twice the largest mmapped chunk freed (at most 32 MiB). One 31 MiB buffer
 * allocated (never touched) and freed here sets it to 62 MiB. Elsewhere than glibc this costs one allocation.
 * Only in a process that opted in (tuneThisProcess).
 */
export function keepFreedMemory(): void {
  if (tuned || collect === undefined) return;
  tuned = true;
  Buffer.allocUnsafeSlow(31 * 1024 * 1024); // garbage at once: the collection frees it
  collect({ type: 'minor' });
}

let capped = false;

/**
 * Stops V8's young generation from growing once its semispaces reached `semiBytes` (V8 doubles them, from 1 MiB
 * up to 16, while a thread allocates fast). A backup's main thread allocates fast in short-lived pieces; past
 * 4 MiB semispaces it only gains resident memory (16 MiB in a 1 GiB backup), and from 1 MiB ones too much is
 * promoted to the old generation (measured: docs/benchmarks.md). V8 reads the growth factor when it grows, so
 * setting it to 1 then holds the size; it is process-wide, and workers have their own limits (resourceLimits).
 * Cheap enough to call per pack.
 */
export function capYoungGeneration(semiBytes: number): void {
  if (capped) return;
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  // new_space's size counts both semispaces
  if (space === undefined || space.space_size < 2 * semiBytes) return;
  capped = true;
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    // an embedder without the flag keeps V8's default growth
  }
}
