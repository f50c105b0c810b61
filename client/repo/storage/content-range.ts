// The one parser of a `Content-Range` answer header (RFC 9110 14.4: `bytes first-last/complete-length`, the
// length `*` when unknown), for every ranged GET of a presigned URL (transport.ts, raw-get.ts, http-store.ts).

/** A parsed `bytes first-last/total` value: `total` undefined when the server sent `*`. */
export interface ContentRange {
  first: number;
  last: number;
  total: number | undefined;
}

/** {first, last, total} of a `bytes first-last/total` value (total undefined for `*`), or undefined. */
export function parseContentRange(value: unknown): ContentRange | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(value ?? ''));
  if (m === null) return undefined;
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || last < first) return undefined;
  const total = m[3] === '*' ? undefined : Number(m[3]);
  if (total !== undefined && (!Number.isSafeInteger(total) || last >= total)) return undefined;
  return { first, last, total };
}

/** Whether a Content-Range value names exactly bytes [offset, offset + length). */
export function isRange(value: unknown, offset: number, length: number): boolean {
  const r = parseContentRange(value);
  return r !== undefined && r.first === offset && r.last === offset + length - 1;
}
