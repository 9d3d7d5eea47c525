import { DIMENSIONS, type Dimension } from "../../schemas/filters.js";
import { eachDay } from "../../dates.js";
import { addValue, type DayPoint, type RangeFigures, type Sums } from "../engine.js";
import { VISIT_COLUMNS } from "../filters.js";
import type { Store } from "./store.js";
import { DAY_PAGEVIEWS, DAY_TOTALS, PAGES } from "./sync.js";
import { type ClickHouseScope, conversions, keptPageviews, pageviewsWhere, Params, visitsWhere, within } from "./where.js";

const VISIT_DIMENSIONS = DIMENSIONS.filter((d): d is Exclude<Dimension, "page"> => d !== "page");
const VISIT_DIMENSION_COLUMNS = VISIT_DIMENSIONS.map((d) => VISIT_COLUMNS[d]);

/**
 * A visitor id is salted per day, so (day, visitor) is one visitor and every count of visitors is
 * a count of these keys. As one 128-bit number (ids stay below 2^53) `uniqExact` keeps the keys
 * themselves, not hashes of them: exact.
 */
const VISITOR = `toUInt128(toUInt16(day)) * 9007199254740992 + toUInt128(visitor_id)`;

/**
 * Visitors of the rows where `condition` holds: a visit of a visitor with no other visit that day
 * is one visitor, so only the multi-visit minority's keys go into `uniqExact`.
 */
const visitorsIf = (condition = "1") => `(countIf(${condition} AND multi = 0) + uniqExactIf(${VISITOR}, ${condition} AND multi = 1))`;

type Row = Record<string, unknown>;
const n = (value: unknown) => Number(value ?? 0);

/**
 * One scan of the visit rows for the totals and days, the hours (when asked for) and every visit
 * dimension, and one of their pageviews for the page breakdown and the pageviews of each day and
 * hour: `GROUPING SETS`, so each set is a group of the same read. Goals are one more row.
 */
export async function rangeFigures(store: Store, scope: ClickHouseScope, timezone: string, hours: boolean): Promise<RangeFigures> {
  const [[visits, pageviews], goals] = await Promise.all([
    scope.filters.length === 0 && !hours ? dayValueRows(store, scope) : Promise.all([visitRows(store, scope, timezone, hours), pageviewRows(store, scope, timezone, hours)]),
    goalFigures(store, scope),
  ]);
  const days = new Map<string, DayPoint>(
    eachDay(scope.from, scope.to).map((day) => [day, { day, visitors: 0, pageviews: 0, ...(hours && { hourVisitors: Array(24).fill(0), hourPageviews: Array(24).fill(0) }) }]),
  );
  const figures: RangeFigures = { visitors: 0, visits: 0, bounces: 0, duration: 0, pageviews: 0, groups: new Map(), goals, days: [] };
  const add = (dimension: Dimension, value: string, visitors: number, count: number) => {
    const values = figures.groups.get(dimension) ?? new Map();
    figures.groups.set(dimension, values);
    addValue(values, value, { visitors, count });
  };
  for (const row of visits) {
    if (n(row.g_day) === 0 && n(row.g_hour) === 1) {
      const day = days.get(String(row.day));
      if (day) day.visitors += n(row.visitors);
      figures.visitors += n(row.visitors);
      figures.visits += n(row.n);
      figures.bounces += n(row.bounces);
      figures.duration += n(row.total_duration);
    } else if (n(row.g_hour) === 0) {
      const day = days.get(String(row.day));
      if (day?.hourVisitors) day.hourVisitors[n(row.h)]! += n(row.visitors);
    } else {
      const i = VISIT_DIMENSION_COLUMNS.findIndex((_, i) => n(row[`g${i}`]) === 0);
      add(VISIT_DIMENSIONS[i]!, String(row[VISIT_DIMENSION_COLUMNS[i]!]), n(row.visitors), n(row.n));
    }
  }
  for (const row of pageviews) {
    if (n(row.g_day) === 0 && n(row.g_hour) === 1) {
      const day = days.get(String(row.day));
      if (day) day.pageviews += n(row.n);
      figures.pageviews += n(row.n);
    } else if (n(row.g_hour) === 0) {
      const day = days.get(String(row.day));
      if (day?.hourPageviews) day.hourPageviews[n(row.h)]! += n(row.n);
    } else {
      add("page", String(row.page), n(row.visitors), n(row.n));
    }
  }
  figures.days = [...days.values()];
  return figures;
}

/**
 * A view without filters, from each copied day's figures counted when it was copied: rows shaped
 * as the grouping sets' rows below.
 */
async function dayValueRows(store: Store, scope: ClickHouseScope): Promise<[Row[], Row[]]> {
  const p = new Params();
  const rows = await store.answer(
    `SELECT g, if(g < 0, toString(day), '') AS d, value, sum(visitors) AS v, sum(n) AS c, sum(bounces) AS b, sum(duration) AS t
    FROM day_values WHERE ${within(scope, p)} GROUP BY g, d, value`,
    p.values,
  );
  const visits: Row[] = [];
  const pageviews: Row[] = [];
  for (const row of rows) {
    const g = n(row.g);
    const sums = { visitors: row.v, n: row.c, bounces: row.b, total_duration: row.t };
    if (g === DAY_TOTALS) visits.push({ g_day: 0, g_hour: 1, day: row.d, ...sums });
    else if (g === DAY_PAGEVIEWS) pageviews.push({ g_day: 0, g_hour: 1, day: row.d, ...sums });
    else if (g === PAGES) pageviews.push({ g_day: 1, g_hour: 1, page: row.value, ...sums });
    else visits.push({ g_day: 1, g_hour: 1, ...Object.fromEntries(VISIT_DIMENSION_COLUMNS.map((c, i) => [`g${i}`, i === g ? 0 : 1])), [VISIT_DIMENSION_COLUMNS[g]!]: row.value, ...sums });
  }
  return [visits, pageviews];
}

const hourOf = (column: string, timezone: string, p: Params) => `toHour(${column}, ${p.add(timezone, "String")})`;

async function visitRows(store: Store, scope: ClickHouseScope, timezone: string, hours: boolean): Promise<Row[]> {
  const p = new Params();
  const where = visitsWhere(scope, p);
  const sets = ["(day)", ...(hours ? ["(day, hour)"] : []), ...VISIT_DIMENSION_COLUMNS.map((c) => `(${c})`)];
  return store.answer(
    `SELECT grouping(day) AS g_day, ${hours ? "grouping(hour)" : "1"} AS g_hour, ${VISIT_DIMENSION_COLUMNS.map((c, i) => `grouping(${c}) AS g${i}`).join(", ")},
      day, ${hours ? "hour" : "0"} AS h, ${VISIT_DIMENSION_COLUMNS.join(", ")},
      ${visitorsIf()} AS visitors, count() AS n, countIf(pageviews <= 1) AS bounces, sum(duration) AS total_duration
    FROM (SELECT *, ${hours ? hourOf("started_at", timezone, p) : "0"} AS hour FROM visits WHERE ${where})
    GROUP BY GROUPING SETS (${sets.join(", ")})`,
    p.values,
  );
}

async function pageviewRows(store: Store, scope: ClickHouseScope, timezone: string, hours: boolean): Promise<Row[]> {
  const p = new Params();
  const where = pageviewsWhere(scope, p);
  const sets = ["(day)", ...(hours ? ["(day, hour)"] : []), "(page)"];
  return store.answer(
    `SELECT grouping(day) AS g_day, ${hours ? "grouping(hour)" : "1"} AS g_hour, day, ${hours ? "hour" : "0"} AS h, page, ${visitorsIf("first = 1")} AS visitors, count() AS n
    FROM (SELECT day, visitor_id, multi, page, first, ${hours ? hourOf("ts", timezone, p) : "0"} AS hour
      FROM visits ARRAY JOIN pages AS page, ${hours ? "page_ts AS ts, " : ""}arrayEnumerateUniq(pages) AS first WHERE ${where})
    GROUP BY GROUPING SETS (${sets.join(", ")})`,
    p.values,
  );
}

/** Converting visitors (one per visitor and day) and conversions of every goal, in one pass over the visit rows. */
async function goalFigures(store: Store, scope: ClickHouseScope): Promise<RangeFigures["goals"]> {
  const result: RangeFigures["goals"] = new Map();
  if (!scope.goals.length) return result;
  const p = new Params();
  const counts = scope.goals.map((goal, i) => `${conversions(goal, p)} AS c${i}`);
  const where = visitsWhere(scope, p);
  const aggregates = scope.goals.map((_, i) => `${visitorsIf(`c${i} > 0`)} AS v${i}, sum(c${i}) AS n${i}`);
  const [row] = await store.answer(`SELECT ${aggregates.join(", ")} FROM (SELECT day, visitor_id, multi, ${counts.join(", ")} FROM visits WHERE ${where})`, p.values);
  scope.goals.forEach((goal, i) => {
    const count = n(row?.[`n${i}`]);
    if (count > 0) result.set(goal.id, { visitors: n(row![`v${i}`]), count });
  });
  return result;
}

/** A range's totals alone (the previous period of the change badges): one row from the visits, pageviews from their arrays. */
export async function rangeTotals(store: Store, scope: ClickHouseScope): Promise<Sums> {
  if (scope.filters.length === 0) {
    const p = new Params();
    const [row] = await store.answer(
      `SELECT sumIf(visitors, g = ${DAY_TOTALS}) AS total_visitors, sumIf(n, g = ${DAY_TOTALS}) AS total_visits, sumIf(bounces, g = ${DAY_TOTALS}) AS total_bounces,
        sumIf(duration, g = ${DAY_TOTALS}) AS total_duration, sumIf(n, g = ${DAY_PAGEVIEWS}) AS total_pageviews
      FROM day_values WHERE ${within(scope, p)} AND g IN (${DAY_TOTALS}, ${DAY_PAGEVIEWS})`,
      p.values,
    );
    return { visitors: n(row?.total_visitors), visits: n(row?.total_visits), bounces: n(row?.total_bounces), duration: n(row?.total_duration), pageviews: n(row?.total_pageviews) };
  }
  const p = new Params();
  const [row] = await store.answer(
    `SELECT ${visitorsIf()} AS total_visitors, count() AS total_visits, countIf(pageviews <= 1) AS total_bounces, sum(duration) AS total_duration,
      sum(${keptPageviews(scope, p)}) AS total_pageviews
    FROM visits WHERE ${visitsWhere(scope, p)}`,
    p.values,
  );
  return { visitors: n(row?.total_visitors), visits: n(row?.total_visits), bounces: n(row?.total_bounces), duration: n(row?.total_duration), pageviews: n(row?.total_pageviews) };
}
