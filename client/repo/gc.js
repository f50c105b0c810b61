// A minor (young generation) GC on demand, for the places that just turned many MiB of node's I/O or crypto
// buffers into garbage (a big HTTP body received in 64 KiB pieces, a pack sealed or opened): V8 only collects
// such external memory once tens of MiB piled up, per thread, which shows in the process's peak RSS. A minor GC
// of a small heap takes well under a millisecond. Uses V8's --expose-gc through a fresh context (the flag only
// installs gc() in contexts made after it is set); a no-op where that is not possible. Types: gc.d.ts.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect;
try {
  setFlagsFromString('--expose-gc');
  collect = runInNewContext('gc');
} catch {
  collect = undefined;
}

export function minorGc() {
  collect?.({ type: 'minor' });
}

let tuned = false;

/**
 * Once per process: keeps glibc's malloc from handing freed memory back to the kernel after every collection.
 * glibc trims the top of a heap once more than its trim threshold is free (128 KiB at first), so node:crypto's
 * 64 KiB output buffers, freed by each collection, are faulted in (and zeroed by the kernel) again and again;
 * it raises the threshold to twice the largest mmapped chunk freed (at most 32 MiB). One 31 MiB buffer
 * allocated (never touched) and freed here sets it to 62 MiB. Elsewhere than glibc this costs one allocation.
 */
export function keepFreedMemory() {
  if (tuned || collect === undefined) return;
  tuned = true;
  Buffer.allocUnsafeSlow(31 * 1024 * 1024); // garbage at once: the collection frees it
  collect({ type: 'minor' });
}
