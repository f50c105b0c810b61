// Runs `fn` over `items` with at most `limit` calls in flight, in order of start; rejects with the first
// failure, after which no further item is started (the calls already running are not stopped: pass them an
// AbortSignal for that).

export async function parallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const run = async () => {
    try {
      while (!failed && next < items.length) await fn(items[next++]!);
    } catch (e) {
      failed = true;
      throw e;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}
