import type { GoalDefinition } from "../../goals/goals.js";
import type { Dimension } from "../../schemas/filters.js";
import { eachDay } from "../../dates.js";
import { addValue, type DayPoint, type RangeFigures, type Sums } from "../engine.js";
import { VISIT_COLUMNS } from "../filters.js";
import { complementRows } from "./complement.js";
import { type MultiVisitPlan, planRange } from "./plan.js";
import type { Columnar } from "./duckdb.js";
import { DAY, dayTotals, dayValueRows, groupingSets, groupOf, HOURS, hourOf, type Row, TOTALS, VISIT_DIMENSIONS, VISITOR_KEY, valueOf } from "./grouping.js";
import { DIMENSIONS as FLAGGED_COLUMNS, PAGES } from "./sync.js";
import { type ColumnarScope, conversions, keptPageviews, onlyPageFilters, pageviewsWhere, Params, type PathSets, pathSets, pathSumsWhere, visitsWhere } from "./where.js";

/**
 * `exact`: the rows have no flags (the days not final yet, see refreshLive), so every visitor is
 * counted distinctly, as under filters.
 */
export async function rangeFigures(columnar: Columnar, scope: ColumnarScope, timezone: string, hours: boolean, exact = false): Promise<RangeFigures> {
  const counted = scope.filters.length > 0 || exact;
  const [sets, plan] = await Promise.all([pathSets(columnar, scope), counted ? planRange(columnar, scope, exact, hours) : null]);
  const [[visits, pageviews], goals] = await Promise.all([
    scope.filters.length === 0 && !hours && !exact
      ? dayValueRows(columnar, scope)
      : plan?.complement
        ? complementRows(columnar, scope)
        : countedRows(columnar, scope, sets, timezone, hours, exact, plan?.multi ?? "shared"),
    goalFigures(columnar, scope, sets),
  ]);
  const days = new Map<string, DayPoint>(eachDay(scope.from, scope.to).map((day) => [day, { day, visitors: 0, pageviews: 0, ...(hours && { hourVisitors: Array(24).fill(0), hourPageviews: Array(24).fill(0) }) }]));
  const figures: RangeFigures = { visitors: 0, visits: 0, bounces: 0, duration: 0, pageviews: 0, groups: new Map(), goals, days: [] };
  const add = (dimension: Dimension, value: string, visitors: number, count: number) => {
    let values = figures.groups.get(dimension);
    if (!values) figures.groups.set(dimension, (values = new Map()));
    addValue(values, value, { visitors, count });
  };
  const hour = (value: string) => {
    const [day, hour] = value.split(" ");
    return { point: days.get(day!), hour: Number(hour) };
  };
  // Rows come in two parts (single-visit and multi-visit visitors), so everything adds up.
  for (const row of visits) {
    if (row.g === TOTALS) {
      const day = days.get(row.value!);
      if (day) day.visitors += row.visitors;
      figures.visitors += row.visitors;
      figures.visits += row.n;
      figures.bounces += row.bounces;
      figures.duration += row.duration;
    } else if (row.g === HOURS) {
      const { point, hour: h } = hour(row.value!);
      if (point?.hourVisitors) point.hourVisitors[h]! += row.visitors;
    } else {
      add(VISIT_DIMENSIONS[row.g]!, row.value ?? "", row.visitors, row.n);
    }
  }
  for (const row of pageviews) {
    if (row.g === TOTALS) {
      const day = days.get(row.value!);
      if (day) day.pageviews += row.n;
      figures.pageviews += row.n;
    } else if (row.g === HOURS) {
      const { point, hour: h } = hour(row.value!);
      if (point?.hourPageviews) point.hourPageviews[h]! += row.n;
    } else {
      add("page", row.value ?? "", row.visitors, row.n);
    }
  }
  figures.days = [...days.values()];
  return figures;
}

/** The visit rows and pageview rows of `rangeFigures`, counted from the rows the filters keep. */
export function countedRows(columnar: Columnar, scope: ColumnarScope, sets: PathSets, timezone: string, hours: boolean, exact: boolean, multi: MultiVisitPlan): Promise<[Row[], Row[]]> {
  return Promise.all([visitRows(columnar, scope, sets, timezone, hours, exact, multi), pageviewRows(columnar, scope, sets, timezone, hours, exact)]);
}

/**
 * Visits of single-visit visitors are one visitor each: plain counts, for every breakdown in one
 * pass. The multi-visit minority (about a fifth) needs a distinct count of (day, visitor) per
 * value, each breakdown in a branch of its own (see `multiVisitRows`). (Unpivoted into
 * (breakdown, value, visitor) rows and counted in one group by, the same rows took 78 ms of CPU
 * instead of 49 for 30 days at 1M events and ran out of a 20 MB memory limit; in the same
 * grouping sets as the single visits, 30 days of most visits took 70 ms instead of 93, but
 * today's rows 30 instead of 15.)
 */
async function visitRows(columnar: Columnar, scope: ColumnarScope, sets: PathSets, timezone: string, hours: boolean, exact: boolean, plan: MultiVisitPlan): Promise<Row[]> {
  const columns = VISIT_DIMENSIONS.map((d) => VISIT_COLUMNS[d]);
  if (scope.filters.length === 0 && !exact) return unfilteredVisitRows(columnar, scope, sets, timezone, hours, columns);
  const repeated = multiVisitRows(columnar, scope, sets, timezone, hours, plan);
  // Rows without flags are all marked multi-visit: there are no single visits to count.
  if (exact) return repeated;
  const plain = new Params();
  const single = columnar.query(
    `select ${groupOf(columns, hours)} as g, ${valueOf(columns, hours)} as value,
      count(*)::double as visitors, count(*)::double as n, count(*) filter (where pageviews <= 1)::double as bounces, coalesce(sum(duration), 0)::double as duration
    from (select *${hours ? `, ${hourOf("started_at", plain, timezone)} as hour_key` : ""} from visits v where ${visitsWhere(scope, sets, plain)} and not v.multi) v
    group by grouping sets (${groupingSets(columns, hours)})`,
    plain.values,
  );
  const [first, second] = await Promise.all([single, repeated]);
  return [...first, ...second] as Row[];
}

/** The multi-visit visitors' rows of `visitRows`: each breakdown's values with distinct visitors; every plan gives the same rows. */
export async function multiVisitRows(columnar: Columnar, scope: ColumnarScope, sets: PathSets, timezone: string, hours: boolean, plan: MultiVisitPlan): Promise<Row[]> {
  const p = new Params();
  const where = `${visitsWhere(scope, sets, p)} and v.multi`;
  /** Each breakdown's branch: its code, what it groups by, the value it shows, and the column it reads. */
  const branches = [
    { code: TOTALS, group: "day", value: DAY, column: "day" },
    ...(hours ? [{ code: HOURS, group: "hour_key", value: "hour_key", column: `${hourOf("started_at", p, timezone)} as hour_key` }] : []),
    ...VISIT_DIMENSIONS.map((d, code) => ({ code, group: VISIT_COLUMNS[d], value: VISIT_COLUMNS[d], column: VISIT_COLUMNS[d] })),
  ];
  const counted = ({ code, group, value }: (typeof branches)[number], from: string) =>
    `select ${code} as g, ${value} as value, count(distinct k)::double as visitors, count(*)::double as n,
      count(*) filter (where pageviews <= 1)::double as bounces, coalesce(sum(duration), 0)::double as duration from ${from} group by ${group}`;
  const kept = (columns: string[]) => `select ${VISITOR_KEY} as k, pageviews, duration, ${columns.join(", ")} from visits v where ${where}`;
  const every = kept(branches.map((b) => b.column));
  const sql =
    plan === "shared"
      ? `with m as materialized (${every}) ${branches.map((b) => counted(b, "m")).join(" union all ")}`
      : plan === "unpivot"
        ? // Every breakdown's value is a string (the day written out), so one column holds them all.
          `select g, value, count(distinct k)::double as visitors, count(*)::double as n, count(*) filter (where pageviews <= 1)::double as bounces, coalesce(sum(duration), 0)::double as duration
          from (select k, pageviews, duration, unnest([${branches.map((b) => b.code).join(", ")}]) as g, unnest([${branches.map((b) => b.value).join(", ")}]) as value from (${every}) m) u
          group by g, value`
        : branches.map((b) => counted(b, `(${kept([b.column])}) m`)).join(" union all ");
  return (await columnar.query(sql, p.values)) as Row[];
}

/**
 * Without filters every visit counts, so each visitor's first visit of the day (and first with
 * each value) is known from the copy's flags: every breakdown is a plain count.
 */
async function unfilteredVisitRows(columnar: Columnar, scope: ColumnarScope, sets: PathSets, timezone: string, hours: boolean, columns: string[]): Promise<Row[]> {
  const p = new Params();
  const where = visitsWhere(scope, sets, p);
  const flagged = (column: string) => `count(*) filter (where firsts & ${1 << (FLAGGED_COLUMNS.indexOf(column) + 1)} <> 0)::double`;
  const branches = [
    `select ${TOTALS} as g, ${DAY} as value, count(*) filter (where firsts & 1 <> 0)::double as visitors, count(*)::double as n,
      count(*) filter (where pageviews <= 1)::double as bounces, coalesce(sum(duration), 0)::double as duration from visits v where ${where} group by day`,
    // Hours change with the site's timezone, so they have no flag: one day's distinct count is cheap.
    ...(hours ? [`select ${HOURS}, ${hourOf("started_at", p, timezone)}, count(distinct ${VISITOR_KEY})::double, 0, 0, 0 from visits v where ${where} group by 2`] : []),
    ...columns.map((c, i) => `select ${i}, ${c}, ${flagged(c)}, count(*)::double, 0, 0 from visits v where ${where} group by ${c}`),
  ];
  return (await columnar.query(branches.join(" union all "), p.values)) as Row[];
}

/** A page's visitors: its first view in each visit, counted plainly for single-visit visitors. */
async function pageviewRows(columnar: Columnar, scope: ColumnarScope, sets: PathSets, timezone: string, hours: boolean, exact: boolean): Promise<Row[]> {
  if (onlyPageFilters(scope) && !hours && !exact) return pathSumRows(columnar, scope);
  if (scope.filters.length === 0 && !exact) {
    const p = new Params();
    const where = pageviewsWhere(scope, sets, p);
    return (await columnar.query(
      `select ${groupOf(["pathname"], hours)} as g, ${valueOf(["pathname"], hours)} as value,
        count(*) filter (where first_of_day)::double as visitors, count(*)::double as n, 0::double as bounces, 0::double as duration
      from (select *${hours ? `, ${hourOf("ts", p, timezone)} as hour_key` : ""} from events e where ${where}) e
      group by grouping sets (${groupingSets(["pathname"], hours)})`,
      p.values,
    )) as Row[];
  }
  // Single-visit visitors' first views are plain counts; the multi-visit minority is counted distinct.
  const p = new Params();
  return (await columnar.query(
    `select ${groupOf(["pathname"], hours)} as g, ${valueOf(["pathname"], hours)} as value,
      (count(*) filter (where first_view and not multi) + count(distinct case when first_view and multi then ${VISITOR_KEY} end))::double as visitors,
      count(*)::double as n, 0::double as bounces, 0::double as duration
    from (select *${hours ? `, ${hourOf("ts", p, timezone)} as hour_key` : ""} from events e where ${pageviewsWhere(scope, sets, p)}) e
    group by grouping sets (${groupingSets(["pathname"], hours)})`,
    p.values,
  )) as Row[];
}

/**
 * Pageviews under page filters alone, from the days' sums of the paths that pass them: a path's
 * visitors and views are its unfiltered ones, and the day's pageviews their sum.
 */
async function pathSumRows(columnar: Columnar, scope: ColumnarScope): Promise<Row[]> {
  const p = new Params();
  return (await columnar.query(
    `select case when grouping(day) = 0 then ${TOTALS} else 0 end as g, coalesce(${DAY}, value) as value,
      sum(visitors)::double as visitors, sum(n)::double as n, 0::double as bounces, 0::double as duration
    from day_values d where ${pathSumsWhere(scope, PAGES, p)} group by grouping sets ((day), (value))`,
    p.values,
  )) as Row[];
}

/**
 * Converting visitors (one per visitor and day) and conversions of every goal, in one pass over
 * the visit rows: each carries its pageviews' paths and its other events' names, so a goal's
 * conversions in a visit are counted there. Single-visit visitors are one each; the multi-visit
 * minority is counted distinct.
 */
async function goalFigures(columnar: Columnar, scope: ColumnarScope, sets: PathSets): Promise<RangeFigures["goals"]> {
  const result: RangeFigures["goals"] = new Map();
  if (!scope.goals.length) return result;
  const p = new Params();
  const counts = scope.goals.map((goal: GoalDefinition, i) => `${conversions("v", goal, sets, p)} as c${i}`);
  const where = visitsWhere(scope, sets, p);
  const aggregates = scope.goals.map(
    (_, i) =>
      `(count(*) filter (where c${i} > 0 and not multi) + count(distinct case when c${i} > 0 and multi then ${VISITOR_KEY} end))::double as v${i}, coalesce(sum(c${i}), 0)::double as n${i}`,
  );
  const rows = await columnar.query(`select ${aggregates.join(", ")} from (select day, visitor_id, multi, ${counts.join(", ")} from visits v where ${where}) t`, p.values);
  scope.goals.forEach((goal, i) => {
    const conversions = Number(rows[0]?.[`n${i}`] ?? 0);
    if (conversions > 0) result.set(goal.id, { visitors: Number(rows[0]![`v${i}`]), count: conversions });
  });
  return result;
}

/**
 * Totals are counted from the kept rows, whatever the filters drop: one statement, where the days'
 * sums minus the dropped visits took three and more CPU (`country is not DE`, the previous 30
 * days: 18 against 34 ms at 1M events, 73 against 110 at 10M).
 */
export async function rangeTotals(columnar: Columnar, scope: ColumnarScope, exact = false): Promise<Sums> {
  if (scope.filters.length === 0 && !exact) return dayTotals(columnar, scope);
  // Totals need the paths only to test page and goal filters (no goal's conversions are counted).
  const tested = scope.filters.some((f) => f.dimension === "page" || f.dimension === "goal");
  const sets = tested ? await pathSets(columnar, scope) : { pages: null, goals: new Map() };
  // Single-visit visitors are one each; only the multi-visit minority needs a distinct count.
  const p = new Params();
  const pageviews = onlyPageFilters(scope) && !exact ? `(select coalesce(sum(n), 0) from day_values d where ${pathSumsWhere(scope, PAGES, p)})` : `sum(${keptPageviews("v", scope, sets, p)})`;
  const [row] = await columnar.query(
    `select (count(*) filter (where not multi) + count(distinct case when multi then ${VISITOR_KEY} end))::double as visitors, count(*)::double as visits,
      count(*) filter (where pageviews <= 1)::double as bounces, coalesce(sum(duration), 0)::double as duration, coalesce(${pageviews}, 0)::double as pageviews
    from visits v where ${visitsWhere(scope, sets, p)}`,
    p.values,
  );
  return { visitors: Number(row!.visitors), visits: Number(row!.visits), bounces: Number(row!.bounces), duration: Number(row!.duration), pageviews: Number(row!.pageviews) };
}
