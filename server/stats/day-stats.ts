import type { Dimension } from "../schemas/filters.js";

/**
 * Everything the dashboard needs about one site-local day under one filter set. Visitor ids are
 * salted per day, so a visitor of two days is two visitors (as in Plausible): daily figures are
 * therefore additive, and any range is the sum of its days. That is what makes caching finished
 * days correct.
 */
export interface DayStats {
  visitors: number;
  visits: number;
  bounces: number;
  /** Sum of visit durations in milliseconds (integers, so sums are exact in any order). */
  duration: number;
  /** Pageviews under the filters (page filters count matching pageviews only). */
  pageviews: number;
  /** By site-local hour: visitors by the hour their visit started, pageviews by the hour they happened. */
  hourVisitors: number[];
  hourPageviews: number[];
  /** Every value of every dimension: [value, visitors, count], count being visits (pageviews for page). */
  groups: Partial<Record<Dimension, [string, number, number][]>>;
  /** Each goal with conversions that day: [goal id, converting visitors, conversions]. */
  goals: [string, number, number][];
}

export const emptyDay = (): DayStats => ({
  visitors: 0,
  visits: 0,
  bounces: 0,
  duration: 0,
  pageviews: 0,
  hourVisitors: Array(24).fill(0),
  hourPageviews: Array(24).fill(0),
  groups: {},
  goals: [],
});

export interface RangeStats {
  visitors: number;
  visits: number;
  bounces: number;
  duration: number;
  pageviews: number;
  groups: Map<Dimension, Map<string, { visitors: number; count: number }>>;
  /** By goal id: converting visitors (per day, summed, like all visitors) and conversions. */
  goals: Map<string, { visitors: number; count: number }>;
}

export function sumDays(days: DayStats[]): RangeStats {
  const range: RangeStats = { visitors: 0, visits: 0, bounces: 0, duration: 0, pageviews: 0, groups: new Map(), goals: new Map() };
  for (const day of days) {
    range.visitors += day.visitors;
    range.visits += day.visits;
    range.bounces += day.bounces;
    range.duration += day.duration;
    range.pageviews += day.pageviews;
    for (const [dimension, rows] of Object.entries(day.groups) as [Dimension, [string, number, number][]][]) {
      const values = range.groups.get(dimension) ?? new Map<string, { visitors: number; count: number }>();
      range.groups.set(dimension, values);
      for (const [value, visitors, count] of rows) {
        const sum = values.get(value);
        if (sum) {
          sum.visitors += visitors;
          sum.count += count;
        } else {
          values.set(value, { visitors, count });
        }
      }
    }
    for (const [goal, visitors, count] of day.goals ?? []) {
      const sum = range.goals.get(goal);
      if (sum) {
        sum.visitors += visitors;
        sum.count += count;
      } else {
        range.goals.set(goal, { visitors, count });
      }
    }
  }
  return range;
}

/** Sorted by visitors desc, then value in code-point order, the same order on every database. */
export function topRows(values: Map<string, { visitors: number; count: number }> | undefined, limit: number) {
  const rows = [...(values ?? new Map<string, { visitors: number; count: number }>())].map(([value, sums]) => ({ value, ...sums }));
  rows.sort((a, b) => b.visitors - a.visitors || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}
