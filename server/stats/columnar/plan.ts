import type { Columnar } from "./duckdb.js";
import { DAY_TOTALS, PAGES } from "./sync.js";
import { type ColumnarScope, flaggedIndexOf, keptValue, onlyVisitFilters, Params, pathSumsWhere, within } from "./where.js";

/**
 * How the multi-visit rows are read: once into a CTE that every breakdown counts in a branch of
 * its own ("shared"), by each branch for itself ("per-branch"), or unpivoted into (breakdown,
 * value, visitor) rows counted in one group by ("unpivot"). The CTE spills to disk past the column
 * store's memory: 12 months at 10M events (788,000 rows) took 3.8 s shared and 2.0 s per branch,
 * while 30 days at 1M took 330 ms shared and 450 ms per branch (a page filter's test, read again
 * by every branch). Each branch's distinct count costs about a millisecond however few its rows,
 * so few rows go faster in one group by: today's 1,568 rows at 1M events 5 ms unpivoted against
 * 15 in branches, 7,300 kept rows of 30 days 18 against 26 (the 7,472 of `country = DE`: 20
 * against 33 ms of CPU); 26,000 took 55 against 49.
 */
export type MultiVisitPlan = "shared" | "per-branch" | "unpivot";

export interface RangePlan {
  /** Figured by subtraction from the days' sums (./complement.ts). */
  complement: boolean;
  multi: MultiVisitPlan;
}

/** Up to this many multi-visit rows, one group by is faster than a branch per breakdown. */
const UNPIVOT_ROWS = 10_000;

/** Dropped visits at most this share of the range's visits: past it, counting the kept ones reads less. */
const MAX_DROPPED_SHARE = 1 / 3;

/**
 * A view's plan, from one read of the days' sums (`day_values`): the range's visits, and for each
 * filter that the sums can bound, how many visits it keeps at most. A visit filter keeps exactly
 * the visits of its values; page filters keep the visits with a pageview of a path that passes
 * them all, so at most those paths' pageviews; a goal filter has no sum to bound it.
 *
 * By subtraction when every filter is on a visit dimension and the visits they drop (at most the
 * sum of each one's drops) are few; never for hours (one day's view) or rows without flags.
 *
 * The multi-visit rows: "unpivot" for few, "shared" while they fit in a query's memory,
 * "per-branch" past it. About a fifth of the visits are multi-visit ones (22% in the bench's
 * data), so a range's are about a quarter of its visits times the share its filters keep; a kept
 * row takes about 200 bytes, so about 40 bytes a visit. Rows without flags (today's) are all
 * counted distinctly; `day_values` has no count of them, so they are counted (a day's rows at
 * most: they always fit).
 */
export async function planRange(columnar: Columnar, scope: ColumnarScope, exact: boolean, hours: boolean): Promise<RangePlan> {
  const p = new Params();
  if (exact) {
    const [row] = await columnar.query(`select count(*)::double as visits from visits v where ${within("v", scope, p)}`, p.values);
    return { complement: false, multi: Number(row?.visits ?? 0) <= UNPIVOT_ROWS ? "unpivot" : "shared" };
  }
  const d = within("d", scope, p);
  const bounds: string[] = [];
  const dropping: number[] = [];
  scope.filters.forEach((filter) => {
    if (filter.dimension === "goal" || filter.dimension === "page") return;
    dropping.push(bounds.length);
    bounds.push(`(select coalesce(sum(n), 0) from day_values d where ${d} and d.g = ${flaggedIndexOf(filter)} and ${keptValue("d", filter, p)})::double`);
  });
  if (scope.filters.some((f) => f.dimension === "page")) bounds.push(`(select coalesce(sum(n), 0) from day_values d where ${pathSumsWhere(scope, PAGES, p)})::double`);
  const [row] = await columnar.query(
    `select (select coalesce(sum(n), 0) from day_values d where ${d} and d.g = ${DAY_TOTALS})::double as total${bounds.map((b, i) => `, ${b} as kept${i}`).join("")}`,
    p.values,
  );
  const total = Number(row?.total ?? 0);
  const kept = bounds.map((_, i) => Number(row?.[`kept${i}`] ?? 0));
  const dropped = dropping.reduce((sum, i) => sum + total - kept[i]!, 0);
  const keptVisits = Math.min(total, ...kept);
  return {
    complement: !hours && onlyVisitFilters(scope) && total > 0 && dropped <= total * MAX_DROPPED_SHARE,
    multi: keptVisits / 4 <= UNPIVOT_ROWS ? "unpivot" : keptVisits * 40 <= columnar.memoryMb * 2 ** 20 ? "shared" : "per-branch",
  };
}
