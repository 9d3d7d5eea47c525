import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { type GoalDefinition, goalDefinitions } from "../goals/goals.js";
import { DIMENSIONS, type Dimension, type Filter } from "../schemas/filters.js";
import type { Period } from "../schemas/stats.js";
import { computeTotals, type RangeTotals } from "./aggregate.js";
import { loadDays } from "./cache.js";
import { createLimiter } from "../concurrency.js";
import { recent, recentKey } from "./recent.js";
import { localDay } from "./dates.js";
import { type DayStats, type RangeStats, sumDays, topRows } from "./day-stats.js";
import { focusedGoal, goalProperties, goalStats } from "./goals.js";
import { type Scope, visitsWhere } from "./filters.js";
import { type DayRange, type ResolvedPeriod, bucketsOf, resolvePeriod } from "./period.js";
import type { Breakdown, DashboardStats, SeriesPoint, Totals } from "./types.js";

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
  /** False skips stats_day_cache and reads the raw tables only. */
  cache?: boolean;
}

export const DEFAULT_LIMIT = 9;
const CURRENT_VISITOR_WINDOW_MS = 5 * 60_000;

const allFilters = (input: StatsInput) => [...(input.segmentFilters ?? []), ...input.filters];

/**
 * Only views without filters of the viewer's own (a site's plain dashboard, a link's segment) are
 * cached: their number is bounded by the segments that exist, while anyone holding an open link
 * could otherwise fill the cache with one entry per filter they make up.
 */
const usesCache = (input: StatsInput) => input.cache !== false && input.filters.length === 0;

function days(db: Db, site: StatsSite, range: DayRange, input: StatsInput, goals: GoalDefinition[], now: Date) {
  return loadDays(db, { site, ...range, filters: allFilters(input), goals, now, cache: usesCache(input) });
}

/** The change badges need only totals: from the day cache when the view has one, else one aggregate. */
async function previousTotals(db: Db, site: StatsSite, range: DayRange, input: StatsInput, goals: GoalDefinition[], now: Date): Promise<RangeTotals> {
  if (usesCache(input)) return sumDays(await days(db, site, range, input, goals, now));
  return computeTotals(db, { siteId: site.id, ...range, filters: allFilters(input), goals });
}

/**
 * Requests (no `now` given) go through a short in-memory cache; tests that pass their own clock
 * always compute, so they see every event they just wrote.
 */
export function getDashboardStats(db: Db, site: StatsSite, input: StatsInput & { limit?: number }): Promise<DashboardStats> {
  // The goals are read before any transaction: inside one, the embedded database would wait on a
  // read that another request started outside it.
  const compute = async () => {
    const goals = await goalDefinitions(db, site.id);
    return madeUp(db, input, (db) => computeDashboardStats(db, site, input, goals));
  };
  if (input.now || input.cache === false) return compute();
  const key = recentKey({ siteId: site.id, period: input.period, filters: input.filters, segmentFilters: input.segmentFilters, extra: `dashboard:${input.limit ?? ""}` });
  return recent(key, () => computing(compute));
}

/**
 * A view with filters of the viewer's own is computed from raw rows, and anyone holding an open
 * link can ask for new ones; on a big site that is seconds of database work. It runs without
 * parallel workers, so one such view takes one core of the database and never all of them: the
 * pages everybody else is loading keep the rest. (A transaction, so the setting stays with it.)
 */
function madeUp<T>(db: Db, input: StatsInput, work: (db: Db) => Promise<T>): Promise<T> {
  if (input.filters.length === 0) return work(db);
  return db.transaction().execute(async (trx) => {
    await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
    return work(trx);
  });
}

/**
 * Views with made-up filters are computed from the raw tables, which on a big site takes seconds;
 * anyone with an open link can ask for them. A few at a time keeps the database for everyone else.
 */
const computing = createLimiter({
  active: 3,
  waiting: 24,
  message: "The dashboard is busy right now. Please try again in a moment.",
  retryAfterSeconds: 5,
});

async function computeDashboardStats(db: Db, site: StatsSite, input: StatsInput & { limit?: number }, goals: GoalDefinition[]): Promise<DashboardStats> {
  const now = input.now ?? new Date();
  const limit = input.limit ?? DEFAULT_LIMIT;
  const range = resolvePeriod(input.period, site.timezone, now);
  const focus = focusedGoal(allFilters(input), goals);
  const [current, previous, live, properties] = await Promise.all([
    days(db, site, range, input, goals, now),
    range.previous ? previousTotals(db, site, range.previous, input, goals, now) : null,
    currentVisitors(db, site, allFilters(input), goals, now),
    focus ? goalProperties(db, { siteId: site.id, from: range.from, to: range.to, filters: allFilters(input), goals }, focus) : null,
  ]);
  const sums = sumDays(current);
  return {
    site: { domain: site.domain, timezone: site.timezone },
    range: { key: range.key, from: range.from, to: range.to, label: range.label, interval: range.interval },
    filters: input.filters,
    totals: totalsOf(sums),
    previous: previous ? totalsOf(previous) : null,
    series: seriesOf(range, current),
    breakdowns: DIMENSIONS.map((dimension) => breakdownOf(dimension, sums, limit)),
    currentVisitors: live,
    goals: goalStats(goals, sums),
    goalProperties: properties,
  };
}

/** One dimension with a larger limit, for the "more" view; percentages stay shares of all visitors. */
export function getBreakdown(db: Db, site: StatsSite, input: StatsInput & { dimension: Dimension; limit: number }): Promise<Breakdown> {
  const run = async () => {
    const goals = await goalDefinitions(db, site.id);
    return madeUp(db, input, async (db) => {
      const now = input.now ?? new Date();
      const range = resolvePeriod(input.period, site.timezone, now);
      return breakdownOf(input.dimension, sumDays(await days(db, site, range, input, goals, now)), input.limit);
    });
  };
  return input.now ? run() : computing(run);
}

function totalsOf(sums: RangeTotals): Totals {
  const perVisit = (n: number) => (sums.visits ? n / sums.visits : 0);
  return {
    visitors: sums.visitors,
    visits: sums.visits,
    pageviews: sums.pageviews,
    viewsPerVisit: Math.round(perVisit(sums.pageviews) * 100) / 100,
    bounceRate: Math.round(perVisit(sums.bounces) * 100),
    visitDuration: Math.round(perVisit(sums.duration)),
  };
}

function seriesOf(range: ResolvedPeriod, days: DayStats[]): SeriesPoint[] {
  const points = new Map<string, SeriesPoint>(bucketsOf(range, range.interval).map((bucket) => [bucket, { bucket, visitors: 0, pageviews: 0 }]));
  const dayList = bucketsOf(range, "day");
  days.forEach((stats, i) => {
    const day = dayList[i]!;
    if (range.interval === "hour") {
      for (let hour = 0; hour < 24; hour++) {
        const point = points.get(`${day}T${String(hour).padStart(2, "0")}:00`);
        if (point) Object.assign(point, { visitors: stats.hourVisitors[hour] ?? 0, pageviews: stats.hourPageviews[hour] ?? 0 });
      }
      return;
    }
    const point = points.get(range.interval === "month" ? day.slice(0, 7) : day);
    if (!point) return;
    point.visitors += stats.visitors;
    point.pageviews += stats.pageviews;
  });
  return [...points.values()];
}

function breakdownOf(dimension: Dimension, sums: RangeStats, limit: number): Breakdown {
  const { rows, more } = topRows(sums.groups.get(dimension), limit);
  return {
    dimension,
    more,
    rows: rows.map((row) => ({
      value: row.value,
      visitors: row.visitors,
      count: row.count,
      percentage: sums.visitors ? Math.round((row.visitors / sums.visitors) * 1000) / 10 : 0,
    })),
  };
}

/**
 * Visitors whose visit saw an event in the last five minutes. A visit never spans two site-local
 * days (the visitor id changes at midnight), so only today's and yesterday's visits can qualify.
 */
async function currentVisitors(db: Db, site: StatsSite, filters: Filter[], goals: GoalDefinition[], now: Date): Promise<number> {
  const since = new Date(now.getTime() - CURRENT_VISITOR_WINDOW_MS);
  const scope: Scope = { siteId: site.id, from: localDay(since, site.timezone), to: localDay(now, site.timezone), filters, goals };
  const { rows } = await sql<{ n: number }>`
    select count(distinct v.visitor_id)::int8 as n from visits v
    where ${visitsWhere(scope)} and v.ended_at between ${since} and ${now}`.execute(db);
  return rows[0]?.n ?? 0;
}
