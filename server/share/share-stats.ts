import type { Db } from "../../db/client.js";
import type { Dimension } from "../schemas/filters.js";
import { breakdownFor, dashboardOf } from "../stats/dashboard.js";
import type { Breakdown, DashboardStats } from "../stats/types.js";
import { linkQuery, requireSection, type ScopedView } from "./scope.js";

/** Share data, computed only from a ScopedView's query (see `linkQuery`). */
export function shareDashboard(db: Db, view: ScopedView, options: { limit?: number; now?: Date } = {}): Promise<DashboardStats> {
  return dashboardOf(db, linkQuery(view, options));
}

/**
 * A digest's figures: the view's period with its top rows, compared with the period just before
 * (a custom range has no previous period of its own) when the view allows the comparison.
 */
export function shareDigest(db: Db, view: ScopedView, before: { from: string; to: string }, options: { limit: number; now: Date }): Promise<DashboardStats> {
  return dashboardOf(db, linkQuery(view, { ...options, previous: before }));
}

export function shareBreakdown(db: Db, view: ScopedView, dimension: Dimension, limit: number, now?: Date): Promise<Breakdown> {
  requireSection(view, dimension);
  return breakdownFor(db, linkQuery(view, { limit, now }), dimension);
}
