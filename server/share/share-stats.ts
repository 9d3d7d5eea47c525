import type { Dimension } from "../schemas/filters.js";
import { breakdownFor, dashboardOf, type StatsServices } from "../stats/dashboard.js";
import type { Breakdown, DashboardStats } from "../stats/types.js";
import { linkQuery, requireSection, type ScopedView } from "./scope.js";

/** Share data, computed only from a ScopedView's query (see `linkQuery`). */
export function shareDashboard(stats: StatsServices, view: ScopedView, options: { limit?: number } = {}): Promise<DashboardStats> {
  return dashboardOf(stats, linkQuery(view, stats.clock, options));
}

/**
 * A digest's figures: the view's period with its top rows, compared with the period just before
 * (a custom range has no previous period of its own) when the view allows the comparison.
 */
export function shareDigest(stats: StatsServices, view: ScopedView, before: { from: string; to: string }, options: { limit: number }): Promise<DashboardStats> {
  return dashboardOf(stats, linkQuery(view, stats.clock, { ...options, previous: before }));
}

export function shareBreakdown(stats: StatsServices, view: ScopedView, dimension: Dimension, limit: number): Promise<Breakdown> {
  requireSection(view, dimension);
  return breakdownFor(stats, linkQuery(view, stats.clock, { limit }), dimension);
}
