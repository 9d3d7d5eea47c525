import type { Db } from "../../db/client.js";
import type { Dimension } from "../schemas/filters.js";
import { getBreakdown, getDashboardStats } from "../stats/dashboard.js";
import type { Breakdown, DashboardStats } from "../stats/types.js";
import { requireSection, type ScopedView } from "./scope.js";

/**
 * Share data, computed only from a ScopedView: the segment ANDed in, the period already fitted
 * to the bounds, hidden sections and out-of-bounds parts (badges, "now") left out.
 */
export function shareDashboard(db: Db, view: ScopedView, options: { limit?: number; now?: Date } = {}): Promise<DashboardStats> {
  return getDashboardStats(db, view.link.site, {
    period: view.period,
    filters: view.filters,
    segmentFilters: view.segmentFilters,
    view: { sections: view.sections, previous: view.previous, live: view.live, empty: view.empty },
    limit: options.limit,
    now: options.now,
  });
}

/**
 * A digest's figures: the view's period with its top rows, and the totals of the period just
 * before (a custom range has no previous period of its own) when the view allows the comparison.
 */
export async function shareDigest(db: Db, view: ScopedView, before: { from: string; to: string }, options: { limit: number; now: Date }): Promise<DashboardStats> {
  const [stats, previous] = await Promise.all([
    shareDashboard(db, view, options),
    view.previous
      ? getDashboardStats(db, view.link.site, {
          period: { key: "custom", from: before.from, to: before.to },
          filters: [],
          segmentFilters: view.segmentFilters,
          view: { sections: [], previous: false, live: false },
          now: options.now,
        })
      : null,
  ]);
  return { ...stats, previous: previous?.totals ?? null };
}

export function shareBreakdown(db: Db, view: ScopedView, dimension: Dimension, limit: number, now?: Date): Promise<Breakdown> {
  requireSection(view, dimension);
  return getBreakdown(db, view.link.site, {
    period: view.period,
    filters: view.filters,
    segmentFilters: view.segmentFilters,
    view: { sections: view.sections, previous: view.previous, live: view.live, empty: view.empty },
    dimension,
    limit,
    now,
  });
}
