import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { DIMENSIONS, type Dimension, type Filter } from "../schemas/filters.js";
import type { Period } from "../schemas/stats.js";
import { type Group, type VisitAggregate, aggregatePageviews, aggregateVisits } from "./aggregate.js";
import { localDay } from "./dates.js";
import { type Scope, hasPageFilter, visitsWhere } from "./filters.js";
import { type DayRange, bucketsOf, resolvePeriod } from "./period.js";
import type { Breakdown, DashboardStats, Totals } from "./types.js";

export interface StatsSite {
  id: string;
  domain: string;
  timezone: string;
}

export interface StatsInput {
  period: Period;
  /** The viewer's own filters, echoed back for the UI. */
  filters: Filter[];
  /** Filters the caller may not lift (a shared link's segment); simply ANDed with `filters`. */
  segmentFilters?: Filter[];
  now?: Date;
}

export const DEFAULT_LIMIT = 9;
const CURRENT_VISITOR_WINDOW_MS = 5 * 60_000;

const scopeOf = (site: StatsSite, range: DayRange, input: StatsInput): Scope => ({
  siteId: site.id,
  from: range.from,
  to: range.to,
  filters: [...(input.segmentFilters ?? []), ...input.filters],
});

export async function getDashboardStats(db: Db, site: StatsSite, input: StatsInput & { limit?: number }): Promise<DashboardStats> {
  const now = input.now ?? new Date();
  const limit = input.limit ?? DEFAULT_LIMIT;
  const range = resolvePeriod(input.period, site.timezone, now);
  const scope = scopeOf(site, range, input);
  const options = { interval: range.interval, dimensions: [...DIMENSIONS], limit };
  const [visits, pageviews, previous, current] = await Promise.all([
    aggregateVisits(db, scope, site.timezone, options),
    aggregatePageviews(db, scope, site.timezone, options),
    range.previous ? totalsOnly(db, scopeOf(site, range.previous, input), site.timezone) : null,
    currentVisitors(db, site, scope.filters, now),
  ]);
  const pages = pageviews.pages ?? { rows: [], more: false };
  const breakdowns = DIMENSIONS.map((dimension) =>
    toBreakdown(dimension, dimension === "page" ? pages : visits.groups.get(dimension)!, visits.visitors),
  );
  return {
    site: { domain: site.domain, timezone: site.timezone },
    range: { key: range.key, from: range.from, to: range.to, label: range.label, interval: range.interval },
    filters: input.filters,
    totals: totalsOf(visits, pageviews.pageviews),
    previous,
    series: bucketsOf(range, range.interval).map((bucket) => ({
      bucket,
      visitors: visits.series.get(bucket) ?? 0,
      pageviews: pageviews.series.get(bucket) ?? 0,
    })),
    breakdowns,
    currentVisitors: current,
  };
}

/** One dimension with a larger limit, for the "more" view; percentages stay shares of all visitors. */
export async function getBreakdown(db: Db, site: StatsSite, input: StatsInput & { dimension: Dimension; limit: number }): Promise<Breakdown> {
  const range = resolvePeriod(input.period, site.timezone, input.now ?? new Date());
  const scope = scopeOf(site, range, input);
  const options = { interval: null, dimensions: [input.dimension], limit: input.limit };
  if (input.dimension === "page") {
    const [visits, pageviews] = await Promise.all([
      aggregateVisits(db, scope, site.timezone, { ...options, dimensions: [] }),
      aggregatePageviews(db, scope, site.timezone, options),
    ]);
    return toBreakdown("page", pageviews.pages!, visits.visitors);
  }
  const visits = await aggregateVisits(db, scope, site.timezone, options);
  return toBreakdown(input.dimension, visits.groups.get(input.dimension)!, visits.visitors);
}

async function totalsOnly(db: Db, scope: Scope, timezone: string): Promise<Totals> {
  const options = { interval: null, dimensions: [], limit: 0 };
  const [visits, pageviews] = await Promise.all([
    aggregateVisits(db, scope, timezone, options),
    hasPageFilter(scope.filters) ? aggregatePageviews(db, scope, timezone, options) : null,
  ]);
  return totalsOf(visits, pageviews ? pageviews.pageviews : visits.pageviews);
}

/** With a page filter, pageviews are the matching pageviews, not all pageviews of matching visits. */
function totalsOf(visits: VisitAggregate, pageviews: number): Totals {
  const perVisit = (n: number) => (visits.visits ? n / visits.visits : 0);
  return {
    visitors: visits.visitors,
    visits: visits.visits,
    pageviews,
    viewsPerVisit: Math.round(perVisit(pageviews) * 100) / 100,
    bounceRate: Math.round(perVisit(visits.bounces) * 100),
    visitDuration: Math.round(perVisit(visits.durationSeconds)),
  };
}

function toBreakdown(dimension: Dimension, set: { rows: Group[]; more: boolean }, totalVisitors: number): Breakdown {
  return {
    dimension,
    more: set.more,
    rows: set.rows.map((row) => ({
      value: row.value,
      visitors: row.visitors,
      count: row.count,
      percentage: totalVisitors ? Math.round((row.visitors / totalVisitors) * 1000) / 10 : 0,
    })),
  };
}

/**
 * Visitors whose visit saw an event in the last five minutes. A visit never spans two site-local
 * days (the visitor id changes at midnight), so only today's and yesterday's visits can qualify.
 */
async function currentVisitors(db: Db, site: StatsSite, filters: Filter[], now: Date): Promise<number> {
  const since = new Date(now.getTime() - CURRENT_VISITOR_WINDOW_MS);
  const scope: Scope = { siteId: site.id, from: localDay(since, site.timezone), to: localDay(now, site.timezone), filters };
  const { rows } = await sql<{ n: number }>`
    select count(distinct v.visitor_id)::int8 as n from visits v
    where ${visitsWhere(scope)} and v.ended_at between ${since} and ${now}`.execute(db);
  return rows[0]?.n ?? 0;
}
