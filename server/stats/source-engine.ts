import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { computeTotals } from "./aggregate.js";
import { loadDays } from "./cache.js";
import { currentVisitors } from "./current-visitors.js";
import { addDays, localDay } from "../dates.js";
import { sumDays } from "./day-stats.js";
import type { RangeFigures, RangeQuery, StatsEngine } from "./engine.js";
import type { Scope } from "./filters.js";
import { goalProperties } from "./goals.js";

const scopeOf = (query: Pick<RangeQuery, "site" | "from" | "to" | "filters" | "goals">): Scope => ({
  siteId: query.site.id,
  from: query.from,
  to: query.to,
  filters: query.filters,
  goals: query.goals,
});

/**
 * Figures straight from the source tables, day by day. Finished days of bounded filter sets are
 * kept in stats_day_cache, so a plain dashboard or a link's segment is computed once per day.
 */
export function sourceEngine(db: Db): StatsEngine {
  return {
    reader: db,

    async range(query) {
      const days = await loadDays(db, { site: query.site, version: query.version, from: query.from, to: query.to, filters: query.filters, goals: query.goals, now: query.now, cache: query.keep === "bounded" });
      const sums = sumDays(days);
      let day = query.from;
      const points = days.map((stats) => {
        const point = { day, visitors: stats.visitors, pageviews: stats.pageviews, hourVisitors: stats.hourVisitors, hourPageviews: stats.hourPageviews };
        day = addDays(day, 1);
        return point;
      });
      return { ...sums, days: points } satisfies RangeFigures;
    },

    async totals(query) {
      if (query.keep === "bounded") return sumDays(await loadDays(db, { site: query.site, version: query.version, from: query.from, to: query.to, filters: query.filters, goals: query.goals, now: query.now, cache: true }));
      return computeTotals(db, scopeOf(query));
    },

    /** A visit never spans two site-local days (the visitor id changes at midnight), so today's and yesterday's visits are all that can qualify. */
    currentVisitors: (query, since) =>
      currentVisitors(db, scopeOf({ ...query, from: localDay(since, query.site.timezone), to: localDay(query.now, query.site.timezone) }), since, query.now),

    goalProperties: (query, goal) => goalProperties(db, scopeOf(query), goal),

    /**
     * Raw rows of a big site are seconds of database work: one such view runs without parallel
     * workers, so it takes one core of the database and never all of them, and the pages everybody
     * else is loading keep the rest. (A transaction, so the setting stays with it.)
     */
    madeUp(work) {
      return db.transaction().execute(async (trx) => {
        await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
        return work(sourceEngine(trx));
      });
    },
  };
}
