import type { Db } from "../db/client.js";
import { type Clock, wallClock } from "./clock.js";
import { createLimiter } from "./concurrency.js";
import { env } from "./env.js";
import { EventBuffer } from "./ingest/buffer.js";
import { countryOf } from "./ingest/countries.js";
import { DailySalts } from "./ingest/salts.js";
import { SiteLookup } from "./ingest/site-lookup.js";
import { growingPauses, type RefusalPauses } from "./refusals.js";
import { viewLimits, type ViewLimits } from "./share/view-limits.js";
import { ViewCounter } from "./share/views.js";
import type { StatsEngine } from "./stats/engine.js";
import { type EngineHealth, sourceStats } from "./stats/engines.js";
import { RecentViews } from "./stats/recent.js";
import { createTokenBuckets, type TokenBuckets } from "./token-buckets.js";

/**
 * Everything a request needs beyond its own input, built once by the runtime (or by a test) and
 * handed to every caller in the context: no module keeps state of its own about a database.
 */
export interface Services {
  db: Db;
  clock: Clock;
  /** Answers views (stats/engines.ts chose it), keeping finished days' figures. */
  engine: StatsEngine;
  /** How the engine is doing where it can be away (ClickHouse), for /healthz; null otherwise. */
  statsHealth(): EngineHealth | null;
  /** Views computed in the last few seconds (stats/recent.ts). */
  recent: RecentViews;
  /** Accepted events on their way to the tables. */
  events: EventBuffer;
  /** Share-link page views on their way to the tables. */
  views: ViewCounter;
  sites: SiteLookup;
  salts: DailySalts;
  /** The country of an address, "" when no database may place it. */
  countryOf(ip: string): string;
  limits: Limits;
}

export interface Limits {
  /** Events per client network, in memory and before any database work. */
  events: TokenBuckets;
  /** Views with a recipient's own filters (share/view-limits.ts). */
  views: ViewLimits;
  /** Views computed from the tables at once, in this process. */
  computing: ReturnType<typeof createLimiter>;
  /** How long a refusal waits before it is sent (refusals.ts). */
  refusals: RefusalPauses;
}

export interface ServiceOptions {
  clock?: Clock;
  engine?: StatsEngine;
  statsHealth?: () => EngineHealth | null;
  refusals?: RefusalPauses;
}

export function createServices(db: Db, options: ServiceOptions = {}): Services {
  const config = env();
  return {
    db,
    clock: options.clock ?? wallClock,
    engine: options.engine ?? sourceStats(db),
    statsHealth: options.statsHealth ?? (() => null),
    recent: new RecentViews(),
    events: new EventBuffer(db, config.ingestBuffer),
    views: new ViewCounter(db),
    sites: new SiteLookup(db),
    salts: new DailySalts(db),
    countryOf: (ip) => countryOf(ip, config.geoipDatabase),
    limits: {
      events: eventLimits(config.ingestPerMinute),
      views: viewLimits(),
      computing: computingLimit(),
      refusals: options.refusals ?? growingPauses(),
    },
  };
}

/**
 * Events per client network: far above what the people behind one address produce (a busy
 * office sends a few events a second), low enough that one address cannot fill the database or
 * crowd out other sites' events. INGEST_MAX_PER_MINUTE sets it; up to ten seconds' worth may
 * arrive at once. One budget per process, whichever way events come.
 */
const eventLimits = (perMinute: number) => createTokenBuckets({ perMinute, burst: Math.max(1, Math.ceil(perMinute / 6)) });

/**
 * Views with made-up filters are computed from the raw tables, which on a big site takes seconds;
 * anyone with an open link can ask for them. A few at a time keeps the database for everyone else.
 */
const computingLimit = () =>
  createLimiter({
    active: 3,
    waiting: 24,
    message: "The dashboard is busy right now. Please try again in a moment.",
    retryAfterSeconds: 5,
  });

/** Writes what the services hold (events, view counts): before the database closes. */
export async function closeServices(services: Services): Promise<number> {
  const lost = await services.events.close();
  await services.views.close();
  return lost;
}
