import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../db/client.js";
import { DIMENSIONS, type Dimension } from "../schemas/filters.js";
import { type DayStats, emptyDay, type RangeStats } from "./day-stats.js";
import { eventsWhere, goalMatch, type Scope, VISIT_COLUMNS, pageviewsWhere, visitsWhere } from "./filters.js";

type Row = { day: string; g: number; value: string | null; visitors: number; n: number; bounces: number; duration: number };

const TOTALS = -1;
const HOURS = 0;
/**
 * A visit's duration in whole milliseconds (stamps are written with millisecond precision): sums of
 * integers are exact in any order, so every engine and every way of adding days up agrees to the unit.
 */
export const durationMs = (alias: string) => sql`round(extract(epoch from ${sql.ref(`${alias}.ended_at`)} - ${sql.ref(`${alias}.started_at`)}) * 1000)::int8`;
const DURATION = durationMs("v");
const VISIT_DIMENSIONS = DIMENSIONS.filter((d): d is Exclude<Dimension, "page"> => d !== "page");

/**
 * Per-day figures in one statement per table. The filtered rows are read once (a materialized
 * CTE); each breakdown first collapses them to one row per (day, value, visitor) and then counts
 * those rows, so unique visitors come from two small hash aggregates rather than a
 * count(distinct) sort per breakdown, and no hash table outgrows work_mem.
 * Row g = -1 holds a day's totals, g = 0 its hours, g = i + 1 the values of column i.
 */
function perDay(base: RawBuilder<unknown>, columns: string[], totals: RawBuilder<unknown>) {
  const branch = (g: number, column: string) => sql`
    select day, ${sql.lit(g)} as g, value, count(*)::int8 as visitors, sum(n)::int8 as n, 0::int8 as bounces, 0::int8 as duration
    from (select day, ${sql.ref(column)}::text as value, visitor_id, count(*)::int4 as n from base group by 1, 2, 3) t
    group by day, value`;
  const branches = [totals, branch(HOURS, "hour"), ...columns.map((c, i) => branch(i + 1, c))];
  return sql<Row>`with base as materialized (${base}) ${sql.join(branches, sql` union all `)}`;
}

/**
 * Visits collapsed to one row per (day, visitor): visitors, visits, bounces and duration are all
 * counted from these rows, for a day's totals and for a range's alike. `visits` needs the columns
 * day, visitor_id, pageviews and duration (milliseconds).
 */
const perDayVisitor = (visits: RawBuilder<unknown>) => sql`
  select day, visitor_id, count(*)::int4 as n, count(*) filter (where pageviews <= 1)::int4 as bounces, sum(duration)::int8 as duration
  from (${visits}) visits group by 1, 2`;

async function visitDays(db: Db, scope: Scope, timezone: string): Promise<Row[]> {
  const columns = VISIT_DIMENSIONS.map((d) => sql`v.${sql.ref(VISIT_COLUMNS[d])} as ${sql.ref(d)}`);
  const base = sql`
    select v.day, v.visitor_id, v.pageviews, ${DURATION} as duration,
      extract(hour from v.started_at at time zone ${timezone})::int as hour, ${sql.join(columns)}
    from visits v where ${visitsWhere(scope)}`;
  const totals = sql`
    select day, ${sql.lit(TOTALS)} as g, null::text as value, count(*)::int8 as visitors, sum(n)::int8 as n,
      sum(bounces)::int8 as bounces, coalesce(sum(duration), 0)::int8 as duration
    from (${perDayVisitor(sql`select * from base`)}) t group by day`;
  const { rows } = await perDay(base, [...VISIT_DIMENSIONS], totals).execute(db);
  return rows;
}

async function pageviewDays(db: Db, scope: Scope, timezone: string): Promise<Row[]> {
  const base = sql`
    select e.day, e.visitor_id, e.pathname as page, extract(hour from e.ts at time zone ${timezone})::int as hour
    from events e where ${pageviewsWhere(scope)}`;
  const totals = sql`
    select day, ${sql.lit(TOTALS)} as g, null::text as value, 0::int8 as visitors, count(*)::int8 as n, 0::int8 as bounces, 0::int8 as duration
    from base group by day`;
  const { rows } = await perDay(base, ["page"], totals).execute(db);
  return rows;
}

/**
 * Conversions per day and goal: the scope's events that match each goal, with the visitors who
 * made them (one per day, like every visitor count). The events any goal could match are read
 * once; each goal then counts its own.
 */
async function goalDays(db: Db, scope: Scope): Promise<{ day: string; g: number; visitors: number; n: number }[]> {
  if (scope.goals.length === 0) return [];
  const matches = scope.goals.map((goal) => goalMatch("e", goal));
  const base = sql`
    select e.day, e.visitor_id, ${sql.join(matches.map((m, i) => sql`${m} as ${sql.ref(`g${i}`)}`))}
    from events e where ${eventsWhere(scope)} and (${sql.join(matches, sql` or `)})`;
  const branches = scope.goals.map(
    (_, i) => sql`
      select day, ${sql.lit(i)} as g, count(distinct visitor_id)::int8 as visitors, count(*)::int8 as n
      from base where ${sql.ref(`g${i}`)} group by day`,
  );
  const { rows } = await sql<{ day: string; g: number; visitors: number; n: number }>`
    with base as materialized (${base}) ${sql.join(branches, sql` union all `)}`.execute(db);
  return rows;
}

/** Every day of the scope's range, days without traffic included. */
export async function computeDays(db: Db, scope: Scope, timezone: string, days: string[]): Promise<Map<string, DayStats>> {
  const [visits, pageviews, goals] = await Promise.all([visitDays(db, scope, timezone), pageviewDays(db, scope, timezone), goalDays(db, scope)]);
  const result = new Map(days.map((day) => [day, emptyDay()]));
  const dayOf = (row: Row) => result.get(row.day);
  for (const row of visits) {
    const day = dayOf(row);
    if (!day) continue;
    if (row.g === TOTALS) Object.assign(day, { visitors: row.visitors, visits: row.n, bounces: row.bounces, duration: row.duration });
    else if (row.g === HOURS) day.hourVisitors[Number(row.value)] = row.visitors;
    else (day.groups[VISIT_DIMENSIONS[row.g - 1]!] ??= []).push([row.value ?? "", row.visitors, row.n]);
  }
  for (const row of pageviews) {
    const day = dayOf(row);
    if (!day) continue;
    if (row.g === TOTALS) day.pageviews = row.n;
    else if (row.g === HOURS) day.hourPageviews[Number(row.value)] = row.n;
    else (day.groups.page ??= []).push([row.value ?? "", row.visitors, row.n]);
  }
  for (const row of goals) result.get(row.day)?.goals.push([scope.goals[row.g]!.id, row.visitors, row.n]);
  return result;
}

export type RangeTotals = Omit<RangeStats, "groups" | "goals">;

/**
 * A range's totals alone, for the previous period of the change badges when it cannot come from
 * the day cache: two aggregates instead of every breakdown. The same figures as summing
 * computeDays over the range (visitors are counted per day, like there).
 */
export async function computeTotals(db: Db, scope: Scope): Promise<RangeTotals> {
  const [visits, pageviews] = await Promise.all([
    sql<Omit<RangeTotals, "pageviews">>`
      select count(*)::int8 as visitors, coalesce(sum(n), 0)::int8 as visits, coalesce(sum(bounces), 0)::int8 as bounces,
        coalesce(sum(duration), 0)::int8 as duration
      from (${perDayVisitor(sql`select v.day, v.visitor_id, v.pageviews, ${DURATION} as duration from visits v where ${visitsWhere(scope)}`)}) t`.execute(db),
    sql<{ pageviews: number }>`select count(*)::int8 as pageviews from events e where ${pageviewsWhere(scope)}`.execute(db),
  ]);
  return { ...visits.rows[0]!, pageviews: pageviews.rows[0]!.pageviews };
}
