import { env } from "../env.js";
import { TooManyRequests } from "../errors.js";
import { createTokenBuckets } from "../token-buckets.js";

let buckets: ReturnType<typeof createTokenBuckets> | undefined;

/**
 * Events per client network, in memory and before any database work: far above what the people
 * behind one address produce (a busy office sends a few events a second), low enough that one
 * address cannot fill the database or crowd out other sites' events. INGEST_MAX_PER_MINUTE sets it;
 * up to ten seconds' worth may arrive at once.
 */
export function assertIngestAllowed(client: string): void {
  const perMinute = env().ingestPerMinute;
  buckets ??= createTokenBuckets({ perMinute, burst: Math.max(1, Math.ceil(perMinute / 6)) });
  const wait = buckets.take(client);
  if (wait > 0) throw new TooManyRequests("Too many events from this address. Slow down and try again.", wait);
}
