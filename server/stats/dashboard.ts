import type { Db } from "../../db/client.js";
import { createLimiter } from "../concurrency.js";
import { type GoalDefinition, goalDefinitions } from "../goals/goals.js";
import { DIMENSIONS, type Dimension, type Filter } from "../schemas/filters.js";
import type { Section } from "../schemas/link-scope.js";
import type { Period } from "../schemas/stats.js";
import { emptyFigures, type RangeFigures, type RangeQuery, type StatsEngine, type StatsSite, type Sums } from "./engine.js";
import { engineFor } from "./engines.js";
import { focusedGoal, goalStats } from "./goals.js";
import { type DayRange, type ResolvedPeriod, bucketsOf, resolvePeriod } from "./period.js";
import { localDay } from "../dates.js";
import { LIVE_TTL_MS, recent, recentKey, TTL_MS } from "./recent.js";
import { topRows } from "./day-stats.js";
import type { Breakdown, DashboardStats, SeriesPoint, Totals } from "./types.js";

export type { StatsSite };

export interface StatsInput {
  period: Period;
  /** The viewer's own filters, echoed back for the UI. */
  filters: Filter[];
  /** Filters the caller may not lift (a shared link's segment); simply ANDed with `filters`. */
  segmentFilters?: Filter[];
  /** What a shared link lets the view show (see share/scope.ts); members see everything. */
  view?: ViewParts;
  now?: Date;
  /** False keeps nothing: every figure is computed afresh (tests compare both paths). */
  cache?: boolean;
}

export interface ViewParts {
  sections: readonly Section[];
  /** Compare with the previous period (the change badges). */
  previous: boolean;
  /** Count current visitors. */
  live: boolean;
  /** The period lies wholly outside what a link shows: every figure is zero, nothing is read. */
  empty?: boolean;
}

export const DEFAULT_LIMIT = 9;

/** The engine of a view with nothing in it: the page keeps its shape (series, goals), every figure zero. */
const NOTHING: StatsEngine = {
  range: async () => emptyFigures(),
  totals: async () => emptyFigures(),
  currentVisitors: async () => 0,
  goalProperties: async (_query, goal) => ({ goal: goal.name, properties: [], moreProperties: false }),
  madeUp: (work) => work(NOTHING),
};
export const CURRENT_VISITOR_WINDOW_MS = 5 * 60_000;

const allFilters = (input: StatsInput) => [...(input.segmentFilters ?? []), ...input.filters];

/**
 * Views without filters of the viewer's own (a site's plain dashboard, a link's segment) are a
 * bounded few: the segments that exist. Anyone holding an open link can make up new filters, so
 * an engine keeps those only where they push out nothing but each other.
 */
const keep = (input: StatsInput): RangeQuery["keep"] => (input.cache === false ? "none" : input.filters.length === 0 ? "bounded" : "viewer");

/** What the engine is asked for one range of the view. */
function rangeQuery(site: StatsSite, range: DayRange, input: StatsInput, goals: GoalDefinition[], now: Date, hours = false): RangeQuery {
  return { site, from: range.from, to: range.to, filters: allFilters(input), goals, now, keep: keep(input), hours };
}

/**
 * Requests (no `now` given) go through a short in-memory cache; tests that pass their own clock
 * always compute, so they see every event they just wrote.
 */
export function getDashboardStats(db: Db, site: StatsSite, input: StatsInput & { limit?: number }, engine = engineFor(db)): Promise<DashboardStats> {
  // The goals are read before any transaction: inside one, the embedded database would wait on a
  // read that another request started outside it.
  const compute = async () => {
    const goals = await goalDefinitions(db, site.id);
    if (input.view?.empty) return planView(NOTHING, site, input, goals);
    return madeUp(engine, input, (engine) => planView(engine, site, input, goals));
  };
  if (input.now || input.cache === false) return compute();
  const key = recentKey({ siteId: site.id, period: input.period, filters: input.filters, segmentFilters: input.segmentFilters, extra: `dashboard:${input.limit ?? ""}:${JSON.stringify(input.view ?? null)}` });
  const now = new Date();
  const includesToday = resolvePeriod(input.period, site.timezone, now).to >= localDay(now, site.timezone);
  return recent(key, () => computing(compute), now.getTime(), includesToday ? LIVE_TTL_MS : TTL_MS);
}

/** A view with filters of the viewer's own runs as its engine bounds such views (see `StatsEngine.madeUp`). */
const madeUp = <T>(engine: StatsEngine, input: StatsInput, work: (engine: StatsEngine) => Promise<T>): Promise<T> =>
  input.filters.length === 0 ? work(engine) : engine.madeUp(work);

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

/**
 * The planner: the period and its previous one, the engine's figures for each, and the series,
 * breakdowns and goals shaped from them. Engine-agnostic: every figure comes from `engine`.
 */
async function planView(engine: StatsEngine, site: StatsSite, input: StatsInput & { limit?: number }, goals: GoalDefinition[]): Promise<DashboardStats> {
  const now = input.now ?? new Date();
  const limit = input.limit ?? DEFAULT_LIMIT;
  const range = resolvePeriod(input.period, site.timezone, now);
  const focus = focusedGoal(allFilters(input), goals);
  const query = rangeQuery(site, range, input, goals, now, range.interval === "hour");
  const shown = (part: Section) => !input.view || input.view.sections.includes(part);
  // Parts a link does not show are not computed: no badge outside its bounds, no "now" outside them.
  const previousRange = input.view?.previous === false ? null : range.previous;
  const [current, previous, live, properties] = await Promise.all([
    engine.range(query),
    previousRange ? engine.totals(rangeQuery(site, previousRange, input, goals, now)) : null,
    input.view?.live === false ? null : engine.currentVisitors(query, new Date(now.getTime() - CURRENT_VISITOR_WINDOW_MS)),
    focus ? engine.goalProperties(query, focus) : null,
  ]);
  return {
    site: { domain: site.domain, timezone: site.timezone },
    range: { key: range.key, from: range.from, to: range.to, label: range.label, interval: range.interval },
    filters: input.filters,
    totals: totalsOf(current),
    previous: previous ? totalsOf(previous) : null,
    series: shown("series") ? seriesOf(range, current) : null,
    breakdowns: DIMENSIONS.filter(shown).map((dimension) => breakdownOf(dimension, current, limit)),
    currentVisitors: live,
    // A page goal's pattern is a path: with the pages hidden, recipients get its figures, not the path.
    goals: goalStats(goals, current).map((g) => (g.kind === "page" && !shown("page") ? { ...g, match: "" } : g)),
    goalProperties: properties,
  };
}

/** One dimension with a larger limit, for the "more" view; percentages stay shares of all visitors. */
export function getBreakdown(db: Db, site: StatsSite, input: StatsInput & { dimension: Dimension; limit: number }, engine = engineFor(db)): Promise<Breakdown> {
  const run = async () => {
    const goals = await goalDefinitions(db, site.id);
    if (input.view?.empty) return breakdownOf(input.dimension, emptyFigures(), input.limit);
    return madeUp(engine, input, async (engine) => {
      const now = input.now ?? new Date();
      const range = resolvePeriod(input.period, site.timezone, now);
      return breakdownOf(input.dimension, await engine.range(rangeQuery(site, range, input, goals, now)), input.limit);
    });
  };
  return input.now ? run() : computing(run);
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
