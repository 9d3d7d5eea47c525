import { DIMENSIONS, type Dimension } from "../../schemas/filters.js";
import { VISIT_COLUMNS } from "../filters.js";
import type { Sums } from "../engine.js";
import type { Columnar } from "./duckdb.js";
import { DAY_PAGEVIEWS, DAY_TOTALS, DIMENSIONS as FLAGGED_COLUMNS, PAGES } from "./sync.js";
import { type ColumnarScope, Params } from "./where.js";

/**
 * What the copy's queries of a view share (./queries.ts, ./complement.ts): the rows they return,
 * one per breakdown value, and how grouping sets are written and told apart.
 */

export const VISIT_DIMENSIONS = DIMENSIONS.filter((d): d is Exclude<Dimension, "page"> => d !== "page");

/**
 * A visitor id is salted per day, so (day, visitor) is one visitor. As one number, it hashes fast:
 * ids stay below 2^53.
 */
export const VISITOR_KEY = `(day - date '1970-01-01')::hugeint * 9007199254740992 + visitor_id`;

export type Row = { g: number; value: string | null; visitors: number; n: number; bounces: number; duration: number };

export const TOTALS = -1;
export const HOURS = -2;

export const DAY = `strftime(day, '%Y-%m-%d')`;
export const hourOf = (column: string, p: Params, timezone: string) => `${DAY} || ' ' || hour(timezone(${p.add(timezone)}, ${column}))::varchar`;

/** Which grouping set a row of `group by grouping sets` belongs to: TOTALS, HOURS or a column's index. */
export function groupOf(columns: string[], hours: boolean): string {
  const cases = [`when grouping(day) = 0 then ${TOTALS}`, ...(hours ? [`when grouping(hour_key) = 0 then ${HOURS}`] : []), ...columns.map((c, i) => `when grouping(${c}) = 0 then ${i}`)];
  return `case ${cases.join(" ")} end`;
}

/** A grouping-sets row's value: the day is grouped as a date and written out per group, not per row. */
export const valueOf = (columns: string[], hours: boolean) => `coalesce(${DAY}, ${hours ? "hour_key, " : ""}${columns.join(", ")})`;

export const groupingSets = (columns: string[], hours: boolean) => ["(day)", ...(hours ? ["(hour_key)"] : []), ...columns.map((c) => `(${c})`)].join(", ");

/** Where a visit dimension's rows go: its index among the visit dimensions, by its column's bit in the copy. */
export const GROUP_OF_FLAGGED = FLAGGED_COLUMNS.map((column) => VISIT_DIMENSIONS.findIndex((d) => VISIT_COLUMNS[d] === column));

/**
 * A view without filters, from each day's unfiltered figures summed when the day was copied: a
 * few hundred rows a day instead of every visit and view.
 */
export async function dayValueRows(columnar: Columnar, scope: ColumnarScope): Promise<[Row[], Row[]]> {
  const p = new Params();
  const rows = (await columnar.query(
    `select g, value, sum(visitors)::double as visitors, sum(n)::double as n, sum(bounces)::double as bounces, sum(duration)::double as duration
    from day_values where site_id = ${p.add(scope.siteId)} and day between ${p.add(scope.from)}::date and ${p.add(scope.to)}::date group by g, value`,
    p.values,
  )) as Row[];
  const visits: Row[] = [];
  const pageviews: Row[] = [];
  for (const row of rows) {
    if (row.g === DAY_PAGEVIEWS) pageviews.push({ ...row, g: TOTALS });
    else if (row.g === PAGES) pageviews.push({ ...row, g: 0 });
    else if (row.g === DAY_TOTALS) visits.push({ ...row, g: TOTALS });
    else visits.push({ ...row, g: GROUP_OF_FLAGGED[row.g]! });
  }
  return [visits, pageviews];
}

/** The range's totals without filters, from the days' sums. */
export async function dayTotals(columnar: Columnar, scope: ColumnarScope): Promise<Sums> {
  const p = new Params();
  const [row] = await columnar.query(
    `select sum(visitors) filter (where g = ${DAY_TOTALS})::double as visitors, sum(n) filter (where g = ${DAY_TOTALS})::double as visits,
      sum(bounces) filter (where g = ${DAY_TOTALS})::double as bounces, sum(duration) filter (where g = ${DAY_TOTALS})::double as duration,
      sum(n) filter (where g = ${DAY_PAGEVIEWS})::double as pageviews
    from day_values where site_id = ${p.add(scope.siteId)} and day between ${p.add(scope.from)}::date and ${p.add(scope.to)}::date and g in (${DAY_TOTALS}, ${DAY_PAGEVIEWS})`,
    p.values,
  );
  return { visitors: Number(row?.visitors ?? 0), visits: Number(row?.visits ?? 0), bounces: Number(row?.bounces ?? 0), duration: Number(row?.duration ?? 0), pageviews: Number(row?.pageviews ?? 0) };
}
