import type { GoalDefinition } from "../../goals/goals.js";
import { DIMENSIONS, type Dimension } from "../../schemas/filters.js";
import { eachDay } from "../dates.js";
import type { DayPoint, RangeFigures, Sums, ValueSums } from "../engine.js";
import { VISIT_COLUMNS } from "../filters.js";
import type { Columnar } from "./duckdb.js";
import { type ColumnarScope, eventsWhere, goalMatch, pageviewsWhere, Params, visitsWhere } from "./where.js";

const VISIT_DIMENSIONS = DIMENSIONS.filter((d): d is Exclude<Dimension, "page"> => d !== "page");

/**
 * A visitor id is salted per day, so (day, visitor) is one visitor. As one number, it hashes fast:
 * ids stay below 2^53.
 */
const VISITOR_KEY = `(day - date '1970-01-01')::hugeint * 9007199254740992 + visitor_id`;

/**
 * Unique visitors of a group of rows: a visitor with one visit that day is one row (one visit, or
 * the first view of a page in it), so only the multi-visit minority needs a distinct count; its
 * key `k` is null on every other row.
 */
const VISITORS = `(count(*) filter (where not multi) + count(distinct k))::double`;

type Row = { g: number; value: string | null; visitors: number; n: number; bounces: number; duration: number };

const TOTALS = -1;
const HOURS = -2;

export async function rangeFigures(columnar: Columnar, scope: ColumnarScope, timezone: string, hours: boolean): Promise<RangeFigures> {
  const [visits, pageviews, goals] = await Promise.all([visitRows(columnar, scope, timezone, hours), pageviewRows(columnar, scope, timezone, hours), goalFigures(columnar, scope)]);
  const days = new Map<string, DayPoint>(eachDay(scope.from, scope.to).map((day) => [day, { day, visitors: 0, pageviews: 0, ...(hours && { hourVisitors: Array(24).fill(0), hourPageviews: Array(24).fill(0) }) }]));
  const figures: RangeFigures = { visitors: 0, visits: 0, bounces: 0, duration: 0, pageviews: 0, groups: new Map(), goals, days: [] };
  const group = (dimension: Dimension): ValueSums => {
    let values = figures.groups.get(dimension);
    if (!values) figures.groups.set(dimension, (values = new Map()));
    return values;
  };
  for (const row of visits) {
    if (row.g === TOTALS) {
      const day = days.get(row.value!);
      if (day) day.visitors = row.visitors;
      figures.visitors += row.visitors;
      figures.visits += row.n;
      figures.bounces += row.bounces;
      figures.duration += row.duration;
    } else if (row.g === HOURS) {
      const [day, hour] = row.value!.split(" ");
      const point = days.get(day!);
      if (point?.hourVisitors) point.hourVisitors[Number(hour)] = row.visitors;
    } else {
      group(VISIT_DIMENSIONS[row.g]!).set(row.value ?? "", { visitors: row.visitors, count: row.n });
    }
  }
  for (const row of pageviews) {
    if (row.g === TOTALS) {
      const day = days.get(row.value!);
      if (day) day.pageviews = row.n;
      figures.pageviews += row.n;
    } else if (row.g === HOURS) {
      const [day, hour] = row.value!.split(" ");
      const point = days.get(day!);
      if (point?.hourPageviews) point.hourPageviews[Number(hour)] = row.n;
    } else {
      group("page").set(row.value ?? "", { visitors: row.visitors, count: row.n });
    }
  }
  figures.days = [...days.values()];
  return figures;
}

const hourOf = (column: string, p: Params, timezone: string) =>
  `strftime(day, '%Y-%m-%d') || ' ' || hour(timezone(${p.add(timezone)}, ${column}))::varchar`;

async function visitRows(columnar: Columnar, scope: ColumnarScope, timezone: string, hours: boolean): Promise<Row[]> {
  const p = new Params();
  const where = visitsWhere(scope, p);
  const branches = [
    `select ${TOTALS} as g, strftime(day, '%Y-%m-%d') as value, ${VISITORS} as visitors, count(*)::double as n,
      count(*) filter (where pageviews <= 1)::double as bounces, coalesce(sum(duration), 0)::double as duration from v group by day`,
    ...(hours ? [`select ${HOURS}, ${hourOf("started_at", p, timezone)}, ${VISITORS}, 0, 0, 0 from v group by 2`] : []),
    ...VISIT_DIMENSIONS.map((d, i) => `select ${i}, ${VISIT_COLUMNS[d]}, ${VISITORS}, count(*)::double, 0, 0 from v group by ${VISIT_COLUMNS[d]}`),
  ];
  return (await columnar.query(
    `with v as materialized (select *, case when multi then ${VISITOR_KEY} end as k from visits v where ${where})
    ${branches.join(" union all ")}`,
    p.values,
  )) as Row[];
}

async function pageviewRows(columnar: Columnar, scope: ColumnarScope, timezone: string, hours: boolean): Promise<Row[]> {
  const p = new Params();
  const where = pageviewsWhere(scope, p);
  const branches = [
    `select ${TOTALS} as g, strftime(day, '%Y-%m-%d') as value, 0::double as visitors, count(*)::double as n, 0::double as bounces, 0::double as duration from e group by day`,
    ...(hours ? [`select ${HOURS}, ${hourOf("ts", p, timezone)}, 0, count(*)::double, 0, 0 from e group by 2`] : []),
    `select 0, pathname, (count(*) filter (where first_view and not multi) + count(distinct k))::double, count(*)::double, 0, 0 from e group by pathname`,
  ];
  return (await columnar.query(
    `with e as materialized (
      select day, ts, pathname, first_view, multi, case when multi and first_view then ${VISITOR_KEY} end as k from events e where ${where})
    ${branches.join(" union all ")}`,
    p.values,
  )) as Row[];
}

/** Converting visitors (one per visitor and day) and conversions of every goal, in one pass. */
async function goalFigures(columnar: Columnar, scope: ColumnarScope): Promise<RangeFigures["goals"]> {
  const result: RangeFigures["goals"] = new Map();
  if (!scope.goals.length) return result;
  const p = new Params();
  const matches = scope.goals.map((goal: GoalDefinition) => goalMatch("e", goal, p));
  const where = eventsWhere(scope, p);
  const columns = matches.map((m, i) => `(${m}) as m${i}`);
  const aggregates = matches.map((_, i) => `count(distinct ${VISITOR_KEY}) filter (where m${i})::double as v${i}, count(*) filter (where m${i})::double as n${i}`);
  const rows = await columnar.query(`select ${aggregates.join(", ")} from (select day, visitor_id, ${columns.join(", ")} from events e where ${where}) t`, p.values);
  scope.goals.forEach((goal, i) => {
    const conversions = Number(rows[0]?.[`n${i}`] ?? 0);
    if (conversions > 0) result.set(goal.id, { visitors: Number(rows[0]![`v${i}`]), count: conversions });
  });
  return result;
}

export async function rangeTotals(columnar: Columnar, scope: ColumnarScope): Promise<Sums> {
  const pv = new Params();
  const pp = new Params();
  const [visits, pageviews] = await Promise.all([
    columnar.query(
      `select ${VISITORS} as visitors, count(*)::double as visits, count(*) filter (where pageviews <= 1)::double as bounces,
        coalesce(sum(duration), 0)::double as duration
      from (select *, case when multi then ${VISITOR_KEY} end as k from visits v where ${visitsWhere(scope, pv)}) v`,
      pv.values,
    ),
    columnar.query(`select count(*)::double as n from events e where ${pageviewsWhere(scope, pp)}`, pp.values),
  ]);
  const row = visits[0]!;
  return { visitors: Number(row.visitors), visits: Number(row.visits), bounces: Number(row.bounces), duration: Number(row.duration), pageviews: Number(pageviews[0]?.n ?? 0) };
}
