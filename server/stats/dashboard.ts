import type { Db } from "../../db/client.js";
import type { Clock } from "../clock.js";
import type { createLimiter } from "../concurrency.js";
import { goalDefinitions } from "../goals/goals.js";
import { DIMENSIONS, type Dimension, type Filter } from "../schemas/filters.js";
import type { Period } from "../schemas/stats.js";
import { emptyFigures, type ImportedPart, type RangeFigures, type StatsEngine, type StatsSite, type Sums } from "./engine.js";
import { focusedGoal, goalStats } from "./goals.js";
import { type ResolvedPeriod, bucketsOf } from "./period.js";
import { statsVersion } from "./cache.js";
import { importedRanges } from "./imported-engine.js";
import { queryKey, rangeOf, type SiteFacts, shows, type StatsQuery, statsQuery } from "./query.js";
import { localDay } from "../dates.js";
import { LIVE_TTL_MS, type RecentViews, TTL_MS } from "./recent.js";
import { topRows } from "./day-stats.js";
import type { Breakdown, DashboardStats, SeriesPoint, Totals } from "./types.js";

export type { StatsSite };

/** What computing views takes of the services (services.ts): the engine and the memories around it. */
export interface StatsServices {
  db: Db;
  clock: Clock;
  engine: StatsEngine;
  recent: RecentViews;
  limits: { computing: ReturnType<typeof createLimiter> };
}

/** A member's view of a site's dashboard (and tests', which may fix a segment). */
export interface StatsInput {
  period: Period;
  /** The viewer's own filters, echoed back for the UI. */
  filters: Filter[];
  /** Filters the caller may not lift; simply ANDed with `filters`. */
  segmentFilters?: Filter[];
  /** False keeps nothing: every figure is computed afresh (tests compare both paths). */
  cache?: boolean;
}

/** The engine of a view with nothing in it: the page keeps its shape (series, goals), every figure zero. */
const NOTHING: StatsEngine = {
  range: async () => emptyFigures(),
  totals: async () => emptyFigures(),
  currentVisitors: async () => 0,
  goalProperties: async (_query, goal) => ({ goal: goal.name, properties: [], moreProperties: false }),
  madeUp: (work) => work(NOTHING),
};
export const CURRENT_VISITOR_WINDOW_MS = 5 * 60_000;

/** A member sees every part of the dashboard. */
const memberQuery = (clock: Clock, site: StatsSite, input: StatsInput & { limit?: number }): StatsQuery =>
  statsQuery(site, { period: input.period, filters: input.filters, fixedFilters: input.segmentFilters, limit: input.limit, clock, cache: input.cache });

export function getDashboardStats(stats: StatsServices, site: StatsSite, input: StatsInput & { limit?: number }): Promise<DashboardStats> {
  return dashboardOf(stats, memberQuery(stats.clock, site, input));
}

/**
 * The figures of one view. Requests go through a short in-memory cache; callers with a fixed
 * clock always compute, so tests see every event they just wrote. What the figures are counted
 * against (goals, imported days, the stats version that a rewrite or a deleted import moves) is
 * read first and is part of the cache's key, so such a change shows at once, not seconds later.
 */
export async function dashboardOf(stats: StatsServices, query: StatsQuery): Promise<DashboardStats> {
  const { db, engine } = stats;
  const computing = stats.limits.computing;
  const facts = await siteFacts(db, query.site.id);
  const compute = () => (query.empty ? planView(NOTHING, query, facts) : madeUp(engine, query, (engine) => planView(engine, query, facts)));
  if (query.clocked || query.keep === "none") return compute();
  const includesToday = query.range.to >= localDay(query.now, query.site.timezone);
  const key = `${queryKey(query, "dashboard")}${JSON.stringify(facts)}`;
  return stats.recent.get(key, () => computing(compute), query.now.getTime(), includesToday ? LIVE_TTL_MS : TTL_MS);
}

/**
 * Read before any transaction: inside one, the embedded database would wait on a read that
 * another request started outside it.
 */
const siteFacts = async (db: Db, siteId: string): Promise<SiteFacts> => {
  const [goals, version, imported] = await Promise.all([goalDefinitions(db, siteId), statsVersion(db, siteId), importedRanges(db, siteId)]);
  return { goals, version, imported };
};

/** A view with filters of the viewer's own runs as its engine bounds such views (see `StatsEngine.madeUp`). */
const madeUp = <T>(engine: StatsEngine, query: StatsQuery, work: (engine: StatsEngine) => Promise<T>): Promise<T> =>
  query.filters.length === 0 ? work(engine) : engine.madeUp(work);

/**
 * The planner: the period and its previous one, the engine's figures for each, and the series,
 * breakdowns and goals shaped from them. Engine-agnostic: every figure comes from `engine`; what
 * is computed at all is what the query shows.
 */
async function planView(engine: StatsEngine, query: StatsQuery, facts: SiteFacts): Promise<DashboardStats> {
  const { site, range, now } = query;
  const { goals } = facts;
  const focus = focusedGoal(query.where, goals);
  const current = rangeOf(query, range, facts, range.interval === "hour");
  const [figures, previous, live, properties] = await Promise.all([
    engine.range(current),
    query.previous ? engine.totals(rangeOf(query, query.previous, facts)) : null,
    query.live ? engine.currentVisitors(current, new Date(now.getTime() - CURRENT_VISITOR_WINDOW_MS)) : null,
    focus ? engine.goalProperties(current, focus) : null,
  ]);
  return {
    site: { domain: site.domain, timezone: site.timezone },
    range: { key: range.key, from: range.from, to: range.to, label: range.label, interval: range.interval },
    filters: query.filters,
    totals: totalsOf(figures),
    previous: previous ? totalsOf(previous) : null,
    series: shows(query, "series") ? seriesOf(range, figures) : null,
    breakdowns: DIMENSIONS.filter((d) => shows(query, d)).map((dimension) => breakdownOf(dimension, figures, query.limit)),
    currentVisitors: live,
    // A page goal's pattern is a path: with the pages hidden, recipients get its figures, not the path.
    goals: goalStats(goals, figures).map((g) => (g.kind === "page" && !shows(query, "page") ? { ...g, match: "" } : g)),
    goalProperties: properties,
    imported: figures.imported ? visibleImported(query, figures.imported) : null,
  };
}

/** The note about imported days names only the sections the view shows (a link's hidden ones stay unnamed). */
const visibleImported = (query: StatsQuery, imported: ImportedPart): ImportedPart =>
  imported.sections ? { ...imported, sections: imported.sections.filter((d) => shows(query, d)) } : imported;

/** One dimension with a larger limit, for the "more" view; percentages stay shares of all visitors. */
export function getBreakdown(stats: StatsServices, site: StatsSite, input: StatsInput & { dimension: Dimension; limit: number }): Promise<Breakdown> {
  return breakdownFor(stats, memberQuery(stats.clock, site, input), input.dimension);
}

export function breakdownFor(stats: StatsServices, query: StatsQuery, dimension: Dimension): Promise<Breakdown> {
  const { db, engine } = stats;
  const run = async () => {
    const facts = await siteFacts(db, query.site.id);
    if (query.empty) return breakdownOf(dimension, emptyFigures(), query.limit);
    return madeUp(engine, query, async (engine) => breakdownOf(dimension, await engine.range(rangeOf(query, query.range, facts)), query.limit));
  };
  return query.clocked ? run() : stats.limits.computing(run);
}

function totalsOf(sums: Sums): Totals {
  const perVisit = (n: number) => (sums.visits ? n / sums.visits : 0);
  return {
    visitors: sums.visitors,
    visits: sums.visits,
    pageviews: sums.pageviews,
    viewsPerVisit: Math.round(perVisit(sums.pageviews) * 100) / 100,
    bounceRate: Math.round(perVisit(sums.bounces) * 100),
    visitDuration: Math.round(perVisit(sums.duration) / 1000),
  };
}

function seriesOf(range: ResolvedPeriod, figures: RangeFigures): SeriesPoint[] {
  const points = new Map<string, SeriesPoint>(bucketsOf(range, range.interval).map((bucket) => [bucket, { bucket, visitors: 0, pageviews: 0 }]));
  figures.days.forEach((stats) => {
    const day = stats.day;
    if (range.interval === "hour") {
      for (let hour = 0; hour < 24; hour++) {
        const point = points.get(`${day}T${String(hour).padStart(2, "0")}:00`);
        if (point) Object.assign(point, { visitors: stats.hourVisitors?.[hour] ?? 0, pageviews: stats.hourPageviews?.[hour] ?? 0 });
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

function breakdownOf(dimension: Dimension, sums: RangeFigures, limit: number): Breakdown {
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
