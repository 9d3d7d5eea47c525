import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../db/client.js";
import type { Dimension } from "../schemas/filters.js";
import { type Scope, VISIT_COLUMNS, pageviewsWhere, visitsWhere } from "./filters.js";
import type { Interval } from "./period.js";

export interface Group {
  value: string;
  visitors: number;
  /** Visits for visit-level groups, pageviews for page groups. */
  count: number;
}

export interface VisitAggregate {
  visitors: number;
  visits: number;
  pageviews: number;
  bounces: number;
  durationSeconds: number;
  series: Map<string, number>;
  groups: Map<Dimension, { rows: Group[]; more: boolean }>;
}

export interface PageviewAggregate {
  pageviews: number;
  series: Map<string, number>;
  pages: { rows: Group[]; more: boolean } | null;
}

interface Options {
  interval: Interval | null;
  dimensions: Dimension[];
  limit: number;
}

type Row = { g: number; value: string | null; visitors: number; n: number; pageviews: number; bounces: number; duration: number; rn: number };

function bucketOf(interval: Interval | null, alias: string, instant: string, timezone: string): RawBuilder<string> | null {
  if (interval === null) return null;
  const day = sql.ref(`${alias}.day`);
  if (interval === "day") return sql<string>`to_char(${day}, 'YYYY-MM-DD')`;
  if (interval === "month") return sql<string>`to_char(${day}, 'YYYY-MM')`;
  return sql<string>`to_char(${sql.ref(`${alias}.${instant}`)} at time zone ${timezone}, 'YYYY-MM-DD"T"HH24:00')`;
}

/**
 * Totals, series and breakdowns in one statement. Grouping sets first collapse rows to one per
 * (visitor, value) with hash aggregation, so "unique visitors" is a plain count on the second
 * level instead of a count(distinct) sort per breakdown; a window keeps the top limit + 1 per set.
 */
function grouped(columns: { name: string; expr: RawBuilder<unknown> }[], source: RawBuilder<unknown>, measures: RawBuilder<unknown>, limit: number) {
  const unlimited = [allMask(columns.length), ...(columns[0]?.name === "bucket" ? [maskOf(0, columns.length)] : [])];
  const names = columns.map((c) => sql.ref(c.name));
  const sets = [sql`(visitor_id)`, ...names.map((n) => sql`(visitor_id, ${n})`)];
  const grouping = names.length ? sql`grouping(${sql.join(names)})` : sql`0`;
  const value = names.length ? sql`coalesce(${sql.join(names)})` : sql`null::text`;
  const projected = columns.map((c) => sql`${c.expr} as ${sql.ref(c.name)}`);
  return sql<Row>`
    with base as (select visitor_id, ${sql.join([...projected, measures])} from ${source}),
    per_visitor as (
      select ${grouping} as g, ${value} as value, visitor_id,
        count(*) as n, sum(pageviews) as pageviews, sum(bounces) as bounces, sum(duration) as duration
      from base group by grouping sets (${sql.join(sets)})
    ),
    totals as (
      select g, value, count(*)::int8 as visitors, sum(n)::int8 as n, sum(pageviews)::int8 as pageviews,
        sum(bounces)::int8 as bounces, coalesce(sum(duration), 0)::float8 as duration
      from per_visitor group by g, value
    )
    select * from (
      select totals.*, row_number() over (partition by g order by visitors desc, value collate "C") as rn from totals
    ) ranked
    where rn <= ${limit + 1} or g in (${sql.join(unlimited)})`;
}

/** grouping() sets a bit for every column left out of a set, the first column being the highest bit. */
const allMask = (count: number) => (1 << count) - 1;
const maskOf = (index: number, count: number) => allMask(count) & ~(1 << (count - 1 - index));

function collect(rows: Row[], columns: string[], limit: number) {
  const byMask = new Map<number, Row[]>();
  for (const row of rows) byMask.set(row.g, [...(byMask.get(row.g) ?? []), row]);
  const total = byMask.get(allMask(columns.length))?.[0];
  const sets = new Map<string, { rows: Row[]; more: boolean }>();
  columns.forEach((name, i) => {
    const list = (byMask.get(maskOf(i, columns.length)) ?? []).sort((a, b) => a.rn - b.rn);
    sets.set(name, { rows: name === "bucket" ? list : list.slice(0, limit), more: name !== "bucket" && list.length > limit });
  });
  return { total, sets };
}

const toGroup = (row: Row): Group => ({ value: row.value ?? "", visitors: row.visitors, count: row.n });

export async function aggregateVisits(db: Db, scope: Scope, timezone: string, options: Options): Promise<VisitAggregate> {
  const bucket = bucketOf(options.interval, "v", "started_at", timezone);
  const dims = options.dimensions.filter((d): d is Exclude<Dimension, "page"> => d !== "page");
  const columns = [
    ...(bucket ? [{ name: "bucket", expr: bucket }] : []),
    ...dims.map((d) => ({ name: d, expr: sql.ref(`v.${VISIT_COLUMNS[d]}`) })),
  ];
  const measures = sql`v.pageviews, (v.pageviews <= 1)::int as bounces,
    extract(epoch from v.ended_at - v.started_at)::float8 as duration`;
  const source = sql`visits v where ${visitsWhere(scope)}`;
  const { rows } = await grouped(columns, source, measures, options.limit).execute(db);
  const { total, sets } = collect(rows, columns.map((c) => c.name), options.limit);
  const groups = new Map(dims.map((d) => {
    const set = sets.get(d)!;
    return [d as Dimension, { rows: set.rows.map(toGroup), more: set.more }];
  }));
  return {
    visitors: total?.visitors ?? 0,
    visits: total?.n ?? 0,
    pageviews: total?.pageviews ?? 0,
    bounces: total?.bounces ?? 0,
    durationSeconds: total?.duration ?? 0,
    series: new Map((sets.get("bucket")?.rows ?? []).map((r) => [r.value ?? "", r.visitors])),
    groups,
  };
}

export async function aggregatePageviews(db: Db, scope: Scope, timezone: string, options: Options): Promise<PageviewAggregate> {
  const bucket = bucketOf(options.interval, "e", "ts", timezone);
  const withPages = options.dimensions.includes("page");
  const columns = [
    ...(bucket ? [{ name: "bucket", expr: bucket }] : []),
    ...(withPages ? [{ name: "page", expr: sql.ref("e.pathname") }] : []),
  ];
  const measures = sql`1 as pageviews, 0 as bounces, 0::float8 as duration`;
  const source = sql`events e where ${pageviewsWhere(scope)}`;
  const { rows } = await grouped(columns, source, measures, options.limit).execute(db);
  const { total, sets } = collect(rows, columns.map((c) => c.name), options.limit);
  const pages = sets.get("page");
  return {
    pageviews: total?.n ?? 0,
    series: new Map((sets.get("bucket")?.rows ?? []).map((r) => [r.value ?? "", r.n])),
    pages: pages ? { rows: pages.rows.map(toGroup), more: pages.more } : null,
  };
}
