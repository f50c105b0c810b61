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
