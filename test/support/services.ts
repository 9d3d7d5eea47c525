import type { Db } from "../../db/client.js";
import { fixedClock } from "../../server/clock.js";
import { type ContextInput, createContext } from "../../server/context.js";
import { createServices, type Services } from "../../server/services.js";
import type { Dimension } from "../../server/schemas/filters.js";
import { getBreakdown, getDashboardStats, type StatsInput } from "../../server/stats/dashboard.js";
import type { StatsEngine, StatsSite } from "../../server/stats/engine.js";

const shared = new WeakMap<Db, Services>();

/** A test database's services: one set per database, as one server process has. */
export function servicesFor(db: Db): Services {
  let services = shared.get(db);
  if (!services) shared.set(db, (services = createServices(db)));
  return services;
}

export interface TestOptions {
  /** A fixed clock at this time (the wall clock when not given). */
  now?: Date | string | number;
  /** Another engine than the database's own (the source tables, kept). */
  engine?: StatsEngine;
  /** False: refusals come at once, for tests refused on purpose many times. */
  pauses?: boolean;
}

/** The database's services, with this test's clock, engine or refusal pauses; buffers and memories shared. */
export function testServices(db: Db, options: TestOptions = {}): Services {
  const base = servicesFor(db);
  return {
    ...base,
    ...(options.now !== undefined && { clock: fixedClock(new Date(options.now)) }),
    ...(options.engine && { engine: options.engine }),
    ...(options.pauses === false && { limits: { ...base.limits, refusals: { pause: () => 0 } } }),
  };
}

/** A request's context on a test database, as the runtime builds one on the server's. */
export function testContext(input: Omit<ContextInput, "services"> & TestOptions & { db: Db }) {
  const { db, now, engine, pauses, ...request } = input;
  return createContext({ services: testServices(db, { now, engine, pauses }), ...request });
}

/** Writes the events the database's services hold (what a flush interval would). */
export const flushEvents = (db: Db): Promise<void> => servicesFor(db).events.flush();

/** Writes the share-link views the database's services hold. */
export const flushViews = (db: Db): Promise<void> => servicesFor(db).views.flush();

type MemberInput<T> = T & { now?: Date };

/** A member's dashboard on a test database, at `now` (the wall clock when not given), from `engine`. */
export function dashboardAt(db: Db, site: StatsSite, input: MemberInput<StatsInput & { limit?: number }>, engine?: StatsEngine) {
  const { now, ...rest } = input;
  return getDashboardStats(testServices(db, { now, engine }), site, rest);
}

/** One breakdown of a member's dashboard on a test database, as `dashboardAt`. */
export function breakdownAt(db: Db, site: StatsSite, input: MemberInput<StatsInput & { dimension: Dimension; limit: number }>, engine?: StatsEngine) {
  const { now, ...rest } = input;
  return getBreakdown(testServices(db, { now, engine }), site, rest);
}
