/**
 * Per-client rates kept in this process's memory: cheap enough to check before any database work,
 * for limits that guard this instance's own capacity (ingestion, uncached stats). Each client may
 * spend `burst` at once and gets `perMinute` back over a minute. At most `maxClients` are
 * remembered (least recently seen out), so many addresses cannot fill the memory either.
 */
export function createTokenBuckets(options: { perMinute: number; burst: number; maxClients?: number }) {
  const maxClients = options.maxClients ?? 50_000;
  const perMs = options.perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    /** Takes one token: 0 if there was one, else the seconds until there is. */
    take(client: string, now = Date.now()): number {
      const bucket = buckets.get(client) ?? { tokens: options.burst, at: now };
      buckets.delete(client);
      bucket.tokens = Math.min(options.burst, bucket.tokens + (now - bucket.at) * perMs);
      bucket.at = now;
      buckets.set(client, bucket);
      if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    },
  };
}

export type TokenBuckets = ReturnType<typeof createTokenBuckets>;
