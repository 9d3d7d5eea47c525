import { type RawBuilder, sql } from "kysely";
import type { Db } from "../../../db/client.js";
import { durationMs } from "../aggregate.js";
import { addDays, zonedTime } from "../../dates.js";
import { VISIT_COLUMNS } from "../filters.js";
import type { ColumnType, ColumnarTransaction } from "./duckdb.js";

/**
 * What copying finished days (./sync.ts) and refreshing today's (./live.ts) share: reading the
 * tables' rows in bounded windows, the stage tables they land in, and the visits' lists.
 */

/** Rows read from the tables per round trip: bounded, so a big day never sits in the heap at once. */
export const ROWS_PER_READ = 20_000;
/** The visit dimensions' columns, in the order of their bits in `visits.firsts`. */
export const DIMENSIONS = Object.values(VISIT_COLUMNS);

export interface SyncSite {
  id: string;
  timezone: string;
}

/** Instants splitting the days into windows of about ROWS_PER_READ events; the ends are open. */
export function windows(site: SyncSite, from: string, to: string, events: number): (Date | null)[] {
  return cutsBetween(zonedTime(from, site.timezone).getTime(), zonedTime(addDays(to, 1), site.timezone).getTime(), Math.max(1, Math.ceil(events / ROWS_PER_READ)));
}

/** Instants cutting [start, end] into `parts` windows; the ends stay open, so nothing falls outside. */
export function cutsBetween(start: number, end: number, parts: number): (Date | null)[] {
  const cuts: (Date | null)[] = [null];
  for (let i = 1; i < parts; i++) cuts.push(new Date(start + ((end - start) * i) / parts));
  cuts.push(null);
  return cuts;
}

export const between = (column: string, after: Date | null, before: Date | null) =>
  sql`${after ? sql`and ${sql.ref(column)} >= ${after}` : sql``} ${before ? sql`and ${sql.ref(column)} < ${before}` : sql``}`;

/** Empty tables, on the transaction's own connection, that a chunk's rows are appended to before their flags are known. */
export async function createStage(c: ColumnarTransaction) {
  await c.run(`create or replace temp table stage_visits as select * exclude (multi, firsts, pages, names, page_bits) from visits limit 0`);
  await c.run(`create or replace temp table stage_events as select * exclude (multi, first_view, first_of_day) from events limit 0`);
}

export async function dropStage(c: ColumnarTransaction) {
  await c.run(`drop table stage_visits`);
  await c.run(`drop table stage_events`);
}

export const VISIT_TYPES: ColumnType[] = ["varchar", "date", "bigint", "bigint", "timestamptz", "bigint", "integer", ...DIMENSIONS.map((): ColumnType => "varchar")];
export const EVENT_TYPES: ColumnType[] = ["varchar", "date", "timestamptz", "varchar", "varchar", "bigint", "bigint", ...DIMENSIONS.map((): ColumnType => "varchar")];

/**
 * New paths of a table of events join the site's dictionary (parameter $1: the site). Only the
 * site's own sync or refresh writes them, one at a time (they run serially per site).
 */
export const addPaths = (events: string) => `
  insert into paths select $1, pathname, coalesce((select max(id) from paths where site_id = $1), 0) + row_number() over (order by pathname)
  from (select distinct pathname from ${events} where name = 'pageview' and pathname is not null) n
  where not exists (select 1 from paths p where p.site_id = $1 and p.pathname = n.pathname)`;

/** Each visit's pageview path ids and other events' names, by session, from a table of events ($1: the site). */
export const listsOf = (events: string, where = "true") => `
  select e.session_id, list(p.id) filter (where e.name = 'pageview') as pages, list(e.name) filter (where e.name <> 'pageview') as names
  from ${events} e left join paths p on p.site_id = $1 and p.pathname = e.pathname where ${where} group by e.session_id`;

/**
 * Path ids below it have a bit of their own in a visit's `page_bits`; the bit `PAGE_BITS` itself
 * says the visit viewed a path of a higher id (only its list can say which). A site's first paths
 * get the low ids, and a test of one `&` took 4 ms where the list took 19 (30 days at 1M events).
 */
export const PAGE_BITS = 62;
const pageBits = (pages: string) =>
  `coalesce(list_sum(list_distinct(list_transform(${pages}, lambda x: case when x is null then 0 when x < ${PAGE_BITS} then 1::bigint << x else 1::bigint << ${PAGE_BITS} end))), 0)::bigint`;

export const LISTS = `coalesce(l.pages, []::integer[]) as pages, coalesce(l.names, []::varchar[]) as names, ${pageBits("l.pages")} as page_bits`;

/** The source's visits of a site matching `where`, as rows for the stage table. */
export async function visitRows(db: Db, siteId: string, where: RawBuilder<unknown>): Promise<unknown[][]> {
  const { rows } = await sql<Record<string, unknown>>`
    select session_id, visitor_id, day, started_at, ${durationMs("visits")} as duration, pageviews,
      ${sql.join(DIMENSIONS.map((d) => sql.ref(d)))}
    from visits where site_id = ${siteId} and ${where}`.execute(db);
  return rows.map((v) => [siteId, v.day, v.session_id, v.visitor_id, v.started_at, Number(v.duration), v.pageviews, ...DIMENSIONS.map((d) => v[d])]);
}

export async function eventRows(db: Db, siteId: string, where: RawBuilder<unknown>): Promise<unknown[][]> {
  const { rows } = await sql<Record<string, unknown>>`
    select day, ts, name, pathname, visitor_id, session_id, ${sql.join(DIMENSIONS.map((d) => sql.ref(d)))}
    from events where site_id = ${siteId} and ${where}`.execute(db);
  return rows.map((e) => [siteId, e.day, e.ts, e.name, e.pathname, e.visitor_id, e.session_id, ...DIMENSIONS.map((d) => e[d])]);
}
