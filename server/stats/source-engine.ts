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
    name: "source",

    async range(query) {
      const days = await loadDays(db, { site: query.site, from: query.from, to: query.to, filters: query.filters, goals: query.goals, now: query.now, cache: query.cacheable });
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
      if (query.cacheable) return sumDays(await loadDays(db, { site: query.site, from: query.from, to: query.to, filters: query.filters, goals: query.goals, now: query.now, cache: true }));
      return computeTotals(db, scopeOf(query));
    },

    /** A visit never spans two site-local days (the visitor id changes at midnight), so today's and yesterday's visits are all that can qualify. */
    currentVisitors: (query, since) =>
      currentVisitors(db, scopeOf({ ...query, from: localDay(since, query.site.timezone), to: localDay(query.now, query.site.timezone) }), since, query.now),

    goalProperties: (query, goal) => goalProperties(db, scopeOf(query), goal),
  };
}
