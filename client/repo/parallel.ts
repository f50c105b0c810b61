// Runs `fn` over `items` with at most `limit` calls in flight, in order of start; rejects with the first
// failure (the calls already running are not stopped: pass them an AbortSignal for that).

export async function parallel<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
}
