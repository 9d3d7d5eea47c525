import type { Clock } from "../clock.js";
import type { GoalDefinition } from "../goals/goals.js";
import type { Filter } from "../schemas/filters.js";
import { type Section, SECTIONS } from "../schemas/link-scope.js";
import type { Period } from "../schemas/stats.js";
import type { RangeQuery, StatsSite } from "./engine.js";
import type { ImportedRange } from "./imported-engine.js";
import { type DayRange, type ResolvedPeriod, resolvePeriod } from "./period.js";

export const DEFAULT_LIMIT = 9;

/**
 * One view, decided before any figure is computed: what is counted (the days, the filters with
 * the fixed ones ANDed in), what is shown, and what may be kept. Built in one place for each kind
 * of viewer — from a link's scope for recipients (share/scope.ts), from the dashboard's input for
 * members — and the planner and engines take nothing else.
 */
export interface StatsQuery {
  readonly site: StatsSite;
  /** The period asked for, and its days at `now` in the site's timezone. */
  readonly period: Period;
  readonly range: ResolvedPeriod;
  /** The days the change badges compare with; null when the view shows none. */
  readonly previous: DayRange | null;
  /** The viewer's own filters, echoed back for the UI. */
  readonly filters: Filter[];
  /** What every figure is counted under: the fixed filters (a link's segment, an embed's) and the viewer's. */
  readonly where: Filter[];
  /** The parts shown (a link's sections; every part for members). Parts not shown are not computed. */
  readonly sections: readonly Section[];
  /** "Current visitors" is counted. */
  readonly live: boolean;
  /** Nothing is counted: the period lies wholly outside what a link shows. */
  readonly empty: boolean;
  readonly keep: RangeQuery["keep"];
  readonly now: Date;
  /** The clock was fixed (tests, digests): nothing kept for a few seconds may answer. */
  readonly clocked: boolean;
  /** Rows per breakdown. */
  readonly limit: number;
}

export interface QueryParts {
  period: Period;
  filters: Filter[];
  /** Filters the viewer may not lift (a link's segment, an embed token's), ANDed with theirs. */
  fixedFilters?: Filter[];
  sections?: readonly Section[];
  /** False: no change badges; a range: compare with it instead of the period's own previous one. */
  previous?: boolean | DayRange;
  live?: boolean;
  empty?: boolean;
  limit?: number;
  clock: Clock;
  /** False keeps nothing: every figure is computed afresh (tests compare both paths). */
  cache?: boolean;
}

/**
 * Views without filters of the viewer's own (a site's plain dashboard, a link's segment) are a
 * bounded few: the segments that exist. Anyone holding an open link can make up new filters, so
 * an engine keeps those only where they push out nothing but each other.
 */
const keepOf = (parts: QueryParts): RangeQuery["keep"] => (parts.cache === false ? "none" : parts.filters.length === 0 ? "bounded" : "viewer");

export function statsQuery(site: StatsSite, parts: QueryParts): StatsQuery {
  const now = parts.clock.now();
  const range = resolvePeriod(parts.period, site.timezone, now);
  return {
    site,
    period: parts.period,
    range,
    previous: parts.previous === false ? null : parts.previous === true || parts.previous === undefined ? range.previous : parts.previous,
    filters: parts.filters,
    where: [...(parts.fixedFilters ?? []), ...parts.filters],
    sections: parts.sections ?? SECTIONS,
    live: parts.live ?? true,
    empty: parts.empty ?? false,
    keep: keepOf(parts),
    now,
    clocked: parts.clock.fixed,
    limit: parts.limit ?? DEFAULT_LIMIT,
  };
}

/** What a view reads of the site before it computes: its goals and its stats version. */
export interface SiteFacts {
  goals: GoalDefinition[];
  version: number;
  /** The site's completed imports that its views include. */
  imported?: ImportedRange[];
}

/** What an engine is asked for one range of the view. */
export const rangeOf = (query: StatsQuery, range: DayRange, facts: SiteFacts, hours = false): RangeQuery => ({
  site: query.site,
  from: range.from,
  to: range.to,
  filters: query.where,
  goals: facts.goals,
  now: query.now,
  keep: query.keep,
  version: facts.version,
  hours,
  imported: facts.imported,
});

/** Whether a part of the view is shown (and so computed). */
export const shows = (query: StatsQuery, part: Section) => query.sections.includes(part);

/** The key of a view among those computed in the last few seconds: everything that changes its figures. */
export function queryKey(query: StatsQuery, kind: string): string {
  const norm = (filters: Filter[]) => filters.map((f) => [f.dimension, f.operator, [...f.values].sort()]);
  const { range, previous } = query;
  return JSON.stringify([kind, query.site.id, range.key, range.from, range.to, previous, norm(query.filters), norm(query.where), query.sections, query.live, query.empty, query.limit]);
}
