import type { Db } from "../../db/client.js";
import { env } from "../env.js";
import { createTokenBuckets } from "../token-buckets.js";
import { eventBuffer } from "./buffer.js";
import { countryOf } from "./countries.js";
import type { IngestContext } from "./pipeline.js";

let limits: ReturnType<typeof createTokenBuckets> | undefined;

/**
 * Events per client network, in memory and before any database work: far above what the people
 * behind one address produce (a busy office sends a few events a second), low enough that one
 * address cannot fill the database or crowd out other sites' events. INGEST_MAX_PER_MINUTE sets it;
 * up to ten seconds' worth may arrive at once. One budget per process, whichever way events come.
 */
function eventLimits() {
  if (!limits) {
    const perMinute = env().ingestPerMinute;
    limits = createTokenBuckets({ perMinute, burst: Math.max(1, Math.ceil(perMinute / 6)) });
  }
  return limits;
}

/**
 * The pipeline's context for this process, from the configuration: the limits, the buffer of
 * `db`, the country database (GEOIP_DATABASE or the shipped one) and the wall clock unless
 * `options.now` fixes it.
 */
export function ingestContext(db: Db, options: { now?: Date; refusalPauseMs?: number } = {}): IngestContext {
  const { geoipDatabase } = env();
  const fixed = options.now;
  return {
    db,
    now: fixed ? () => fixed : () => new Date(),
    limits: eventLimits(),
    buffer: eventBuffer(db),
    countryOf: (ip) => countryOf(ip, geoipDatabase),
    refusalPauseMs: options.refusalPauseMs,
  };
}
