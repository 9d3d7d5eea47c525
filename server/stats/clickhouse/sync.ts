import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../../../db/client.js";
import { durationMs } from "../aggregate.js";
import { addDays, daysBetween, settledDay } from "../../dates.js";
import { VISIT_COLUMNS } from "../filters.js";
import { type Copy, coverage, listCopies } from "./copies.js";
import { releaseLease, takeLease } from "./lease.js";
import type { Row, Store } from "./store.js";
import { daySizes } from "../day-sizes.js";

/** Events read from the tables per round trip, about: a big day never sits in the heap at once. */
const EVENTS_PER_READ = 20_000;
/** Days and events per copy, at most: each copy is made visible by one row once all of it is written. */
const MAX_DAYS_PER_COPY = 31;
const MAX_EVENTS_PER_COPY = 500_000;
/**
 * A copy that no day is read from any more stays this long after the site's newest copy was
 * made, so a view that listed the copies just before keeps finding its rows.
 */
const SUPERSEDED_GRACE_MS = 2 * 60_000;
/** Session ids are random below 2^53: equal ranges of them split a day's visits and events alike. */
const SESSION_IDS = 2 ** 53;

const DIMENSIONS = Object.values(VISIT_COLUMNS);

/** Codes of `day_values.g` besides a visit dimension's index in DIMENSIONS. */
export const DAY_TOTALS = -1;
export const DAY_PAGEVIEWS = -2;
export const PAGES = 100;

/** A copy's unfiltered figures per day and value, from its rows (`{site}`, `{copy}`): each visitor once per day and value. */
const DAY_VALUES = (() => {
  const rows = `FROM visits WHERE site_id = {site:String} AND copy = {copy:String}`;
  const pageviews = `FROM visits ARRAY JOIN pages AS page WHERE site_id = {site:String} AND copy = {copy:String}`;
  const keys = `site_id, day, copy`;
  return `INSERT INTO day_values (site_id, day, copy, g, value, visitors, n, bounces, duration)
    SELECT ${keys}, ${DAY_TOTALS}, '', uniqExact(visitor_id), count(), countIf(pageviews <= 1), sum(duration) ${rows} GROUP BY ${keys}
    ${DIMENSIONS.map((d, i) => `UNION ALL SELECT ${keys}, ${i}, ${d}, uniqExact(visitor_id), count(), 0, 0 ${rows} GROUP BY ${keys}, ${d}`).join("\n    ")}
    UNION ALL SELECT ${keys}, ${DAY_PAGEVIEWS}, '', 0, count(), 0, 0 ${pageviews} GROUP BY ${keys}
    UNION ALL SELECT ${keys}, ${PAGES}, page, uniqExact(visitor_id), count(), 0, 0 ${pageviews} GROUP BY ${keys}, page`;
})();

export interface SyncSite {
  id: string;
  timezone: string;
}

export interface CopyContext {
  store: Store;
  db: Db;
  /** This instance, as named in the leases. */
  holder: string;
  leaseMs: number;
}

/** For tests: runs between a copy's rows being written and the row that makes them visible. */
export type BeforeRegister = (copy: string) => Promise<void>;

/** The first day that may still change (days before it are final). */
export const unsettledFrom = (site: SyncSite, now: Date) => settledDay(site.timezone, now);

/**
 * Brings the shared copy of one site up to its last finished day, under the site's lease: "busy"
 * when another instance holds it. A site whose stats version moved is copied again from its
 * first day (readers keep reading the tables for it meanwhile); its old copies go once no view
 * can still be reading them.
 */
export async function syncSite(ctx: CopyContext, site: SyncSite, now: Date, stopping: () => boolean = () => false, beforeRegister?: BeforeRegister): Promise<"busy" | "done"> {
  const row = await ctx.db.selectFrom("sites").select("stats_version").where("id", "=", site.id).executeTakeFirst();
  if (!row) {
    await forgetSite(ctx.store, site.id);
    return "done";
  }
  if (!(await takeLease(ctx.db, site.id, ctx.holder, ctx.leaseMs))) return "busy";
  try {
    const copies = await listCopies(ctx.store, site.id);
    const { through } = coverage(copies, row.stats_version);
    await tidy(ctx.store, site.id, copies, row.stats_version, now);
    const until = unsettledFrom(site, now);
    let from = through;
    if (from === null) {
      const first = await ctx.db.selectFrom("visits").select((eb) => eb.fn.min("day").as("day")).where("site_id", "=", site.id).executeTakeFirst();
      from = (first?.day as string | null) ?? null;
      // No visits at all: the day before the unsettled ones is copied (empty), so views read the copy.
      if (from === null || from >= until) from = addDays(until, -1);
    }
    if (from >= until) return "done";
    const sizes = await daySizes(ctx.db, site.id, from, addDays(until, -1));
    let start = from;
    while (start < until && !stopping()) {
      let end = start;
      let events = sizes.get(start) ?? 0;
      while (addDays(end, 1) < until && daysBetween(start, addDays(end, 1)) < MAX_DAYS_PER_COPY && events + (sizes.get(addDays(end, 1)) ?? 0) <= MAX_EVENTS_PER_COPY) {
        end = addDays(end, 1);
        events += sizes.get(end) ?? 0;
      }
      await copyDays(ctx, site.id, { from: start, to: end }, sizes, row.stats_version, beforeRegister);
      start = addDays(end, 1);
    }
    return "done";
  } finally {
    await releaseLease(ctx.db, site.id, ctx.holder).catch(() => {});
  }
}

/**
 * Deletes what no view reads: rows of copies that never finished (their instance died, or lost
 * its lease) at once, and copies superseded by newer ones once the grace has passed.
 */
async function tidy(store: Store, siteId: string, copies: Copy[], version: number, now: Date) {
  const listed = copies.map((c) => c.copy);
  for (const table of ["visits", "day_values"]) {
    const [orphans] = await store.rows(`SELECT count() AS n FROM ${table} WHERE site_id = {site:String} AND NOT has({listed:Array(String)}, copy)`, { site: siteId, listed });
    if (Number(orphans?.n) > 0) await store.command(`DELETE FROM ${table} WHERE site_id = {site:String} AND NOT has({listed:Array(String)}, copy)`, { site: siteId, listed });
  }
  const { superseded } = coverage(copies, version);
  const newest = copies.reduce((max, c) => (c.copiedAt > max ? c.copiedAt : max), "");
  if (!superseded.length || Date.parse(`${newest.replace(" ", "T")}Z`) > now.getTime() - SUPERSEDED_GRACE_MS) return;
  const gone = superseded.map((c) => c.copy);
  await store.command(`DELETE FROM copies WHERE site_id = {site:String} AND has({gone:Array(String)}, copy)`, { site: siteId, gone });
  for (const table of ["visits", "day_values"]) await store.command(`DELETE FROM ${table} WHERE site_id = {site:String} AND has({gone:Array(String)}, copy)`, { site: siteId, gone });
}

/** Drops a deleted site's rows (its copies first, so nothing half-dropped is ever read). */
export async function forgetSite(store: Store, siteId: string): Promise<void> {
  await store.command(`DELETE FROM copies WHERE site_id = {site:String}`, { site: siteId });
  for (const table of ["visits", "day_values"]) await store.command(`DELETE FROM ${table} WHERE site_id = {site:String}`, { site: siteId });
}

const STAMP = (column: string) => sql`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')`;

/** One day's visits whose session ids fall in [low, high), each with its pageviews and other events. */
async function visitRows(db: Db, siteId: string, day: string, low: number, high: number): Promise<(Row & { pages: string[]; names: string[] })[]> {
  const { rows } = await sql<Record<string, unknown>>`
    with e as (
      select session_id,
        array_agg(pathname order by ts, id) filter (where name = 'pageview') as pages,
        array_agg(${STAMP("ts")} order by ts, id) filter (where name = 'pageview') as page_ts,
        array_agg(name order by ts, id) filter (where name <> 'pageview') as names
      from events where site_id = ${siteId} and day = ${day} and session_id >= ${low} and session_id < ${high}
      group by session_id)
    select v.session_id, v.visitor_id, ${STAMP("v.started_at")} as started_at, ${durationMs("v")} as duration, v.pageviews,
      ${sql.join(DIMENSIONS.map((d) => sql.ref(`v.${d}`)))}, e.pages, e.page_ts, e.names
    from visits v left join e using (session_id)
    where v.site_id = ${siteId} and v.day = ${day} and v.session_id >= ${low} and v.session_id < ${high}`.execute(db);
  return rows.map((v) => ({
    site_id: siteId,
    day,
    session_id: Number(v.session_id),
    visitor_id: Number(v.visitor_id),
    started_at: v.started_at,
    duration: Number(v.duration),
    pageviews: Number(v.pageviews),
    ...Object.fromEntries(DIMENSIONS.map((d) => [d, v[d]])),
    pages: (v.pages as string[] | null) ?? [],
    page_ts: v.page_ts ?? [],
    names: (v.names as string[] | null) ?? [],
  }));
}

/**
 * Writes the days' rows under a new copy id, checks that ClickHouse holds all of them, and only
 * then lists the copy, in one row, while the lease is still ours: until that row lands nothing of
 * it is read, so an instance that dies on the way leaves rows nobody reads (the next sync
 * deletes them) and the days are copied again.
 */
async function copyDays(ctx: CopyContext, siteId: string, days: { from: string; to: string }, sizes: Map<string, number>, version: number, beforeRegister?: BeforeRegister) {
  const copy = randomUUID();
  let visits = 0;
  let events = 0;
  // Rows go to ClickHouse in inserts of about EVENTS_PER_READ events (each insert is a part to merge), however the days fall.
  let batch: Row[] = [];
  let batchEvents = 0;
  const flush = async () => {
    await ctx.store.insert("visits", batch);
    batch = [];
    batchEvents = 0;
    if (!(await takeLease(ctx.db, siteId, ctx.holder, ctx.leaseMs))) throw new Error("lost the site's copy lease while copying");
  };
  for (let day = days.from; day <= days.to; day = addDays(day, 1)) {
    if (!sizes.get(day)) continue;
    const parts = Math.max(1, Math.ceil(sizes.get(day)! / EVENTS_PER_READ));
    for (let i = 0; i < parts; i++) {
      const rows = await visitRows(ctx.db, siteId, day, Math.floor((SESSION_IDS * i) / parts), i + 1 === parts ? SESSION_IDS : Math.floor((SESSION_IDS * (i + 1)) / parts));
      for (const row of rows) {
        batch.push({ ...row, copy });
        visits += 1;
        events += row.pages.length + row.names.length;
        batchEvents += row.pages.length + row.names.length;
      }
      if (batchEvents >= EVENTS_PER_READ) await flush();
    }
  }
  await flush();
  const [held] = await ctx.store.rows(`SELECT count() AS visits, sum(length(pages) + length(names)) AS events FROM visits WHERE site_id = {site:String} AND copy = {copy:String}`, { site: siteId, copy });
  if (Number(held?.visits) !== visits || Number(held?.events) !== events) throw new Error(`the copy of ${days.from}..${days.to} holds ${held?.visits} visits and ${held?.events} events, not ${visits} and ${events}`);
  await ctx.store.command(DAY_VALUES, { site: siteId, copy });
  const [summed] = await ctx.store.rows(`SELECT sumIf(n, g = ${DAY_TOTALS}) AS visits, sumIf(n, g = ${DAY_PAGEVIEWS}) AS pageviews FROM day_values WHERE site_id = {site:String} AND copy = {copy:String}`, { site: siteId, copy });
  const [pageviews] = await ctx.store.rows(`SELECT sum(length(pages)) AS n FROM visits WHERE site_id = {site:String} AND copy = {copy:String}`, { site: siteId, copy });
  if (Number(summed?.visits) !== visits || Number(summed?.pageviews) !== Number(pageviews?.n)) throw new Error(`the daily figures of ${days.from}..${days.to} do not add up to the copy's rows`);
  await beforeRegister?.(copy);
  if (!(await takeLease(ctx.db, siteId, ctx.holder, ctx.leaseMs))) throw new Error("lost the site's copy lease before listing a copy");
  await ctx.store.insert("copies", [{ site_id: siteId, version, from_day: days.from, to_day: days.to, copy, visits, events, copied_at: new Date().toISOString().replace("T", " ").replace("Z", "") }]);
}
