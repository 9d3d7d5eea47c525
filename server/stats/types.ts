import type { Dimension, Filter } from "../schemas/filters.js";
import type { Period } from "../schemas/stats.js";
import type { ImportedPart } from "./engine.js";

/**
 * The contract between the stats domain and the dashboard component: everything one dashboard
 * render needs, computed under the given filters (a shared link's segment already ANDed in).
 */
export interface DashboardStats {
  site: { domain: string; timezone: string };
  /** The resolved period: inclusive site-local days, and the series granularity. */
  range: { key: Period["key"]; from: string; to: string; label: string; interval: "hour" | "day" | "month" };
  /** Filters applied on top of any segment (the viewer's own). */
  filters: Filter[];
  totals: Totals;
  /** Totals of the previous period of the same length, for the change badges; null for custom. */
  previous: Totals | null;
  /** Null when a shared link hides the series. */
  series: SeriesPoint[] | null;
  /** The breakdowns shown (a shared link may hide some). */
  breakdowns: Breakdown[];
  /** Visitors with an event in the last 5 minutes, under the same filters; null outside a link's date bounds. */
  currentVisitors: number | null;
  /** Every goal of the site, with its conversions under the same period and filters. */
  goals: GoalStat[];
  /** When the view is narrowed to one goal: its conversions by custom property. */
  goalProperties: GoalProperties | null;
  /**
   * Imported history in the period: how many imported days the figures include (with filters one
   * imported table answers, in its sections only), or that the view's filters left them out. Null:
   * none in the period.
   */
  imported?: ImportedPart | null;
}

export interface GoalStat {
  id: string;
  /** What filters and segments call it. */
  name: string;
  kind: "event" | "page";
  /** The event name, or the page path pattern. */
  match: string;
  /** Unique visitors who converted (counted per day, like all visitors). */
  visitors: number;
  /** Matching events: a visitor converting twice counts twice. */
  conversions: number;
  /** Converting visitors / unique visitors of the view, 0–100, one decimal. */
  conversionRate: number;
}

export interface GoalProperties {
  goal: string;
  /** Property names, the most used first, each with its values (most converting visitors first). */
  properties: { key: string; rows: { value: string; visitors: number; conversions: number }[]; more: boolean }[];
  moreProperties: boolean;
}

export interface Totals {
  visitors: number;
  visits: number;
  pageviews: number;
  /** pageviews / visits, rounded to 2 decimals; 0 without visits. */
  viewsPerVisit: number;
  /** Percentage 0–100 of visits with a single pageview, rounded to an integer. */
  bounceRate: number;
  /** Mean visit duration in whole seconds. */
  visitDuration: number;
}

export interface SeriesPoint {
  /** Start of the bucket as a site-local label: "2026-11-26T14:00" for hours, "2026-11-26" for days, "2026-11" for months. */
  bucket: string;
  visitors: number;
  pageviews: number;
}

export interface Breakdown {
  dimension: Dimension;
  /** Rows sorted by visitors desc, then value; at most `limit`. */
  rows: BreakdownRow[];
  /** True when more rows exist than were returned (the "more" link asks again with a larger limit). */
  more: boolean;
}

export interface BreakdownRow {
  /** The raw value to filter on ("" means none/unknown: Direct / None for sources, Unknown otherwise). */
  value: string;
  visitors: number;
  /** Pageviews for page dimensions, visits for the others. */
  count: number;
  /** Share of the period's unique visitors, 0–100, one decimal. */
  percentage: number;
}
