import { VISIT_COLUMNS } from "../filters.js";
import type { Columnar } from "./duckdb.js";
import { DAY, dayValueRows, groupingSets, groupOf, type Row, TOTALS, VISIT_DIMENSIONS, VISITOR_KEY, valueOf } from "./grouping.js";
import { type ColumnarScope, Params, visitFilter, within } from "./where.js";

/**
 * Filters on visit dimensions that drop few visits (`country is not DE`) keep most rows, and
 * counting what they keep reads nearly every visit and view of the range. Each copied day's
 * unfiltered figures are already summed (`day_values`), so such a view is those sums minus what
 * the dropped visits add: counts, bounces and durations subtract as they are; a single-visit
 * visitor dropped is one visitor less; a visitor of the multi-visit minority is one less for a
 * value only when none of their visits with that value is kept, which is read from the visits of
 * the visitors that had a visit dropped. Only finished days (their flags and sums are final) and
 * views without hours (one day's view) take this way (see `planRange` in ./plan.ts).
 */

/** The visit rows and pageview rows of `rangeFigures` for a complementable view. */
export async function complementRows(columnar: Columnar, scope: ColumnarScope): Promise<[Row[], Row[]]> {
  const [[visits, pageviews], droppedVisits, removedVisitors, droppedPageviews, removedViewers] = await Promise.all([
    dayValueRows(columnar, scope),
    droppedVisitRows(columnar, scope),
    removedMultiVisitors(columnar, scope),
    droppedPageviewRows(columnar, scope),
    removedPageVisitors(columnar, scope),
  ]);
  return [subtract(visits, [...droppedVisits, ...removedVisitors]), subtract(pageviews, [...droppedPageviews, ...removedViewers])];
}

/** Rows of the range that the filters drop. */
const droppedRows = (alias: string, scope: ColumnarScope, p: Params) => `${within(alias, scope, p)} and not coalesce(${visitFilter(alias, scope, p)}, false)`;

/**
 * A (day, visitor) key that groups fast: days since the range's start above the 53 bits of the
 * visitor id, in a bigint while the range is under 1,024 days (at 10M events, 30 days, grouping
 * by value and key took 182 ms instead of 290 with the 128-bit key; a distinct count gains nothing).
 */
function rangeKey(scope: ColumnarScope, p: Params): string {
  const days = (Date.parse(scope.to) - Date.parse(scope.from)) / 86_400_000;
  return days < 1_024 ? `(((day - ${p.add(scope.from)}::date)::bigint << 53) + visitor_id)` : VISITOR_KEY;
}

/** The keys of the multi-visit minority that had a visit dropped. */
const droppedKeys = (scope: ColumnarScope, key: string, p: Params) => `select ${key} from visits v where ${droppedRows("v", scope, p)} and v.multi`;

const COLUMNS = VISIT_DIMENSIONS.map((d) => VISIT_COLUMNS[d]);

/** What dropped visits add to each breakdown: single-visit visitors one each, every visit's counts. */
async function droppedVisitRows(columnar: Columnar, scope: ColumnarScope): Promise<Row[]> {
  const p = new Params();
  return (await columnar.query(
    `select ${groupOf(COLUMNS, false)} as g, ${valueOf(COLUMNS, false)} as value,
      count(*) filter (where not multi)::double as visitors, count(*)::double as n, count(*) filter (where pageviews <= 1)::double as bounces, coalesce(sum(duration), 0)::double as duration
    from visits v where ${droppedRows("v", scope, p)}
    group by grouping sets (${groupingSets(COLUMNS, false)})`,
    p.values,
  )) as Row[];
}

/**
 * Multi-visit visitors who are no longer counted for a value: every visit of theirs with that
 * value was dropped. Read from all visits of the visitors that had one dropped.
 */
async function removedMultiVisitors(columnar: Columnar, scope: ColumnarScope): Promise<Row[]> {
  const p = new Params();
  const key = rangeKey(scope, p);
  const branches = [{ code: TOTALS, column: "day", value: DAY }, ...COLUMNS.map((column, code) => ({ code, column, value: column }))];
  const every = `select ${key} as k, day, coalesce(${visitFilter("v", scope, p)}, false) as kept, ${COLUMNS.join(", ")}
    from visits v where ${within("v", scope, p)} and v.multi and ${key} in (${droppedKeys(scope, key, p)})`;
  const branch = ({ code, column, value }: (typeof branches)[number]) =>
    `select ${code} as g, ${value} as value, count(*)::double as visitors, 0::double as n, 0::double as bounces, 0::double as duration
    from (select ${column} from m group by ${column}, k having not bool_or(kept)) r group by ${column}`;
  return (await columnar.query(`with m as materialized (${every}) ${branches.map(branch).join(" union all ")}`, p.values)) as Row[];
}

/** What dropped visits' pageviews add: every view, and each single-visit visitor's first view of a path. */
async function droppedPageviewRows(columnar: Columnar, scope: ColumnarScope): Promise<Row[]> {
  const p = new Params();
  return (await columnar.query(
    `select ${groupOf(["pathname"], false)} as g, ${valueOf(["pathname"], false)} as value,
      count(*) filter (where first_view and not multi)::double as visitors, count(*)::double as n, 0::double as bounces, 0::double as duration
    from events e where ${droppedRows("e", scope, p)} and e.name = 'pageview'
    group by grouping sets (${groupingSets(["pathname"], false)})`,
    p.values,
  )) as Row[];
}

/** Multi-visit visitors no longer counted for a page: they viewed it only in visits that were dropped. */
async function removedPageVisitors(columnar: Columnar, scope: ColumnarScope): Promise<Row[]> {
  const p = new Params();
  const key = rangeKey(scope, p);
  return (await columnar.query(
    `select 0 as g, pathname as value, count(*)::double as visitors, 0::double as n, 0::double as bounces, 0::double as duration
    from (select pathname from events e where ${within("e", scope, p)} and e.name = 'pageview' and e.multi and ${key} in (${droppedKeys(scope, key, p)})
      group by pathname, ${key} having not bool_or(coalesce(${visitFilter("e", scope, p)}, false))) r
    group by pathname`,
    p.values,
  )) as Row[];
}

/**
 * All rows minus the dropped ones, by breakdown and value; values left with no visit or view are
 * gone. (Bounces and durations are figures of the days' totals: breakdowns show visitors and counts.)
 */
function subtract(all: Row[], dropped: Row[]): Row[] {
  const key = (row: Row) => `${row.g}\u0000${row.value === null ? "\u0001" : row.value}`;
  const rows = new Map(all.map((row) => [key(row), { ...row }]));
  for (const row of dropped) {
    const kept = rows.get(key(row));
    if (!kept) throw new Error(`The copy's sums lack a value its rows have (${row.g})`);
    kept.visitors -= row.visitors;
    kept.n -= row.n;
    kept.bounces -= row.bounces;
    kept.duration -= row.duration;
  }
  return [...rows.values()].filter((row) => row.g === TOTALS || row.n > 0);
}
