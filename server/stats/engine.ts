import type { Db } from "../../db/client.js";
import type { GoalDefinition } from "../goals/goals.js";
import type { Dimension, Filter } from "../schemas/filters.js";
import type { ImportedRange } from "./imported-engine.js";
import type { GoalProperties } from "./types.js";

export interface StatsSite {
  id: string;
  domain: string;
  timezone: string;
}

/**
 * What the planner asks of an engine: figures for inclusive site-local days under filters (a
 * link's segment already ANDed in), with the site's goals.
 */
export interface RangeQuery {
  site: StatsSite;
  from: string;
  to: string;
  filters: Filter[];
  goals: GoalDefinition[];
  now: Date;
  /**
   * What an engine may keep of the figures. `bounded`: the filter set is one of a bounded few (no
   * viewer filters), keep them anywhere. `viewer`: filters of the viewer's own, which anyone with
   * an open link can make up: keep them only in memory bounded by size, apart from the others, so
   * made-up ones push out only each other. `none`: compute afresh.
   */
  keep: "bounded" | "viewer" | "none";
  /**
   * The site's stats version when the view began (read before any transaction): figures of
   * finished days under one version never change.
   */
  version: number;
  /** Hourly figures are wanted (single-day views). */
  hours: boolean;
  /** The site's completed imports that views include (see imported-engine.ts). */
  imported?: ImportedRange[];
}

export interface Sums {
  visitors: number;
  visits: number;
  bounces: number;
  /** Sum of visit durations in milliseconds (integers, so sums are exact in any order). */
  duration: number;
  pageviews: number;
}

export type ValueSums = Map<string, { visitors: number; count: number }>;

/**
 * Figures of a range. Visitor ids are salted per day, so a visitor of two days is two visitors:
 * every figure of a range is the sum of its days' figures, which lets an engine answer part of a
 * range from one place and the rest from another.
 */
export interface RangeFigures extends Sums {
  /** By dimension, every value: unique visitors and visits (pageviews for pages). */
  groups: Map<Dimension, ValueSums>;
  /** By goal id: converting visitors and conversions. */
  goals: Map<string, { visitors: number; count: number }>;
  /** Each day of the range, in order. */
  days: DayPoint[];
  /** Imported days: how many were added, or that the view's filters left them out. */
  imported?: ImportedPart;
}

/**
 * What imported history a view's figures hold: `days` added (0 when `leftOut`, the filters being
 * ones the imported tables cannot answer). With filters that one imported table answers, only the
 * breakdowns of that table's dimensions (`sections`) have imported rows; without, every one does.
 */
export interface ImportedPart {
  days: number;
  leftOut: boolean;
  sections?: Dimension[];
}

export interface DayPoint {
  day: string;
  visitors: number;
  pageviews: number;
  /** By site-local hour, when the query asked for hours: visitors by the hour their visit started. */
  hourVisitors?: number[];
  hourPageviews?: number[];
}

/** An engine that can be away (a process, a server): what /healthz says of it. */
export interface EngineHealth {
  state: "ok" | "degraded";
  reason?: string;
}

/** The one interface between planning a view and computing it. */
export interface StatsEngine {
  range(query: RangeQuery): Promise<RangeFigures>;
  /** A range's totals alone (the previous period of the change badges). */
  totals(query: RangeQuery): Promise<Sums>;
  /** Visitors whose visit saw an event since `since`, under the filters. */
  currentVisitors(query: Omit<RangeQuery, "from" | "to" | "keep" | "hours">, since: Date): Promise<number>;
  /** A goal's conversions in the range by custom property. */
  goalProperties(query: RangeQuery, goal: GoalDefinition): Promise<GoalProperties>;
  /**
   * Runs one view with filters of the viewer's own, which anyone holding an open link can make
   * up: an engine whose work on such a view could take every core bounds it here.
   */
  madeUp<T>(work: (engine: StatsEngine) => Promise<T>): Promise<T>;
  /**
   * The database connection the engine reads through, when it is not the app's pool: bounded work
   * on the tables runs in a transaction, and on the embedded database a read outside it would wait
   * for it forever.
   */
  reader?: Db;
}

export const emptyFigures = (): RangeFigures => ({ visitors: 0, visits: 0, bounces: 0, duration: 0, pageviews: 0, groups: new Map(), goals: new Map(), days: [] });

/** Adds one value's sums into a breakdown, as a new row or onto the row it already has. */
export function addValue(into: ValueSums, value: string, sums: { visitors: number; count: number }) {
  const sum = into.get(value);
  if (sum) {
    sum.visitors += sums.visitors;
    sum.count += sums.count;
  } else {
    into.set(value, { ...sums });
  }
}

function addValues(into: ValueSums, from: ValueSums) {
  for (const [value, sums] of from) addValue(into, value, sums);
}

/** Two ranges' figures as one: `first` holds the earlier days. */
export function mergeFigures(first: RangeFigures, second: RangeFigures): RangeFigures {
  const merged: RangeFigures = { ...addSums(first, second), groups: new Map(), goals: new Map(), days: [...first.days, ...second.days] };
  for (const figures of [first, second]) {
    for (const [dimension, values] of figures.groups) {
      const into = merged.groups.get(dimension) ?? new Map();
      merged.groups.set(dimension, into);
      addValues(into, values);
    }
    addValues(merged.goals, figures.goals);
  }
  return merged;
}

export const addSums = (a: Sums, b: Sums): Sums => ({
  visitors: a.visitors + b.visitors,
  visits: a.visits + b.visits,
  bounces: a.bounces + b.bounces,
  duration: a.duration + b.duration,
  pageviews: a.pageviews + b.pageviews,
});
