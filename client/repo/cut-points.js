// The cut-point loop of the keyed FastCDC chunker (docs/repository.md "Chunking"), shared by chunker.ts on the
// main thread and blob-worker.js (a worker thread loads plain JavaScript without a TypeScript loader). Types:
// cut-points.d.ts. It only finds boundaries; the caller keeps the bytes.

/**
 * Scans `data` from the chunker state `state` ({hash, length}, updated in place) and appends to `cuts` the
 * lengths of the chunks that end in it. `hard`/`easy` are the masks before and after the average size.
 */
export function findCuts(gear, hard, easy, minSize, avgSize, maxSize, state, data, cuts) {
  let hash = state.hash;
  let length = state.length;
  let i = 0;
  const n = data.length;
  while (i < n) {
    // The first minSize - 32 bytes of a chunk are not hashed (the hash at minSize depends on its last 32 bytes).
    if (length < minSize - 32) {
      const skip = Math.min(n - i, minSize - 32 - length);
      i += skip;
      length += skip;
      hash = 0;
      continue;
    }
    const hardEnd = Math.min(n, i + Math.max(0, avgSize - length));
    let cut = false;
    for (; i < hardEnd; i++) {
      hash = ((hash << 1) + gear[data[i]]) >>> 0;
      length++;
      if (length >= minSize && (hash & hard) === 0) {
        i++;
        cut = true;
        break;
      }
    }
    if (!cut && length >= avgSize) {
      const easyEnd = Math.min(n, i + (maxSize - length));
      for (; i < easyEnd; i++) {
        hash = ((hash << 1) + gear[data[i]]) >>> 0;
        length++;
        if ((hash & easy) === 0) {
          i++;
          cut = true;
          break;
        }
      }
      if (!cut && length >= maxSize) cut = true;
    }
    if (cut) {
      cuts.push(length);
      length = 0;
      hash = 0;
    }
  }
  state.hash = hash;
  state.length = length;
}

/** A mask of `bits` ones in the top bits of a 32-bit word. */
export function topMask(bits) {
  return bits >= 32 ? 0xffffffff : ((2 ** bits - 1) * 2 ** (32 - bits)) >>> 0;
}
