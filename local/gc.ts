// A minor (young generation) collection on demand, for the object store's request bodies: a PUT arrives as 64 KiB
// socket buffers, each a tiny object on the heap holding external memory, so V8 reaches its external-memory limit
// (and starts full collections of the runtime's large heap, ~5 CPU-s per GiB stored here) long before the young
// generation fills. A minor collection every few MiB frees them for well under a millisecond each. Uses V8's
// --expose-gc through a fresh context (the flag installs gc() only in contexts made after it is set); a no-op
// where that is not possible. The client's blob workers do the same (client/repo/blobs/gc.js).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: ((options: { type: 'minor' }) => void) | undefined;
try {
  setFlagsFromString('--expose-gc');
  collect = runInNewContext('gc') as typeof collect;
} catch {
  collect = undefined;
}

/** Bytes of request bodies between two minor collections. */
const EVERY_BYTES = 4 * 1024 * 1024;
let since = 0;

/** Counts `bytes` just received; collects the young generation once every EVERY_BYTES. */
export function received(bytes: number): void {
  since += bytes;
  if (since < EVERY_BYTES) return;
  since = 0;
  collect?.({ type: 'minor' });
}
