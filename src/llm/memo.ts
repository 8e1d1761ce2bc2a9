/**
 * Small shared shapes of the model adapters: a per-key look-up whose successes are remembered (concurrent first
 * calls share one request; a failure is forgotten, so a model pulled after a failed look-up is found next time),
 * and embedding inputs sent in batches (bounded request size, cancellation between batches, flat memory).
 */
export function rememberSuccesses<V>(fetch: (key: string) => Promise<V>): (key: string) => Promise<V> {
  const cache = new Map<string, Promise<V>>();
  return (key) => {
    let cached = cache.get(key);
    if (!cached) {
      cached = fetch(key);
      cache.set(key, cached);
      cached.catch(() => cache.delete(key));
    }
    return cached;
  };
}

/** One batch after another: model servers compute one batch at a time per model anyway. */
export async function inBatches<T>(items: readonly string[], size: number, each: (batch: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let start = 0; start < items.length; start += size) out.push(...(await each(items.slice(start, start + size))));
  return out;
}
