import { randomUUID } from "node:crypto";
import type { Db } from "../../../db/client.js";
import { addDays, daysBetween, settledDay } from "../../dates.js";
import { VISIT_COLUMNS } from "../filters.js";
import { readChunk, VISIT_ROW } from "./chunks.js";
import { type Copy, coverage, listCopies } from "./copies.js";
import { releaseLease, takeLease } from "./lease.js";
import type { Store } from "./store.js";
import { daySizes } from "../day-sizes.js";

/** How a copy is cut up, in events (about: reads split days by equal ranges of session ids). */
export interface CopySizes {
  /** Per read from the tables: a big day never sits in the heap at once. */
  perRead: number;
  /** Per insert into ClickHouse: each insert is a part that ClickHouse merges later. */
  perInsert: number;
}
const COPY_SIZES: CopySizes = { perRead: 25_000, perInsert: 75_000 };
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

/**
 * A copy's unfiltered figures per day and value, from its rows (`{site}`, `{copy}`): each visitor
 * once per day and value. The visits are read once for every breakdown (`GROUPING SETS`;
 * `grouping(column)` is 0 in the sets grouped by that column, as the SQL standard has it), and
 * each day's totals row gives its pageviews' row too; pages need the arrays unrolled, once more.
 * Visitors with one visit that day are one each; only the others' ids are counted distinctly.
 */
const DAY_VALUES = (() => {
  const where = `WHERE site_id = {site:String} AND copy = {copy:String}`;
  const keys = `site_id, day, copy`;
  const set = `multiIf(${DIMENSIONS.map((d, i) => `grouping(${d}) = 0, ${i}`).join(", ")}, ${DAY_TOTALS})`;
  const value = `multiIf(${DIMENSIONS.map((d, i) => `g = ${i}, toString(${d})`).join(", ")}, '')`;
  return `INSERT INTO day_values (site_id, day, copy, g, value, visitors, n, bounces, duration)
    SELECT ${keys}, g, ${value}, if(g = ${DAY_PAGEVIEWS}, 0, set_visitors), if(g = ${DAY_PAGEVIEWS}, set_pageviews, set_visits),
      if(g = ${DAY_TOTALS}, set_bounces, 0), if(g = ${DAY_TOTALS}, set_duration, 0)
    FROM (
      SELECT ${keys}, ${DIMENSIONS.join(", ")}, ${set} AS grouped, countIf(multi = 0) + uniqExactIf(visitor_id, multi = 1) AS set_visitors, count() AS set_visits,
        countIf(pageviews <= 1) AS set_bounces, sum(duration) AS set_duration, sum(length(pages)) AS set_pageviews
      FROM visits ${where}
      GROUP BY GROUPING SETS ((${keys}), ${DIMENSIONS.map((d) => `(${keys}, ${d})`).join(", ")})
      SETTINGS force_grouping_standard_compatibility = 1)
    ARRAY JOIN if(grouped = ${DAY_TOTALS}, [${DAY_TOTALS}, ${DAY_PAGEVIEWS}], [grouped]) AS g
    UNION ALL SELECT ${keys}, ${PAGES}, page, countIf(multi = 0 AND first = 1) + uniqExactIf(visitor_id, multi = 1), count(), 0, 0
    FROM visits ARRAY JOIN pages AS page, arrayEnumerateUniq(pages) AS first ${where} GROUP BY ${keys}, page`;
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
  /** Tests cut copies smaller, so that days take several reads and copies several inserts. */
  copySizes?: CopySizes;
}

/** The promise itself, marked as handled: it is awaited later, and may fail before that. */
function settledLater<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
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

/**
 * Writes the days' rows under a new copy id, checks that ClickHouse holds all of them, and only
 * then lists the copy, in one row, while the lease is still ours: until that row lands nothing of
 * it is read, so an instance that dies on the way leaves rows nobody reads (the next sync
 * deletes them) and the days are copied again.
 */
async function copyDays(ctx: CopyContext, siteId: string, days: { from: string; to: string }, sizes: Map<string, number>, version: number, beforeRegister?: BeforeRegister) {
  const copy = randomUUID();
  const { perRead, perInsert } = ctx.copySizes ?? COPY_SIZES;
  const reads: { day: string; low: number; high: number }[] = [];
  for (let day = days.from; day <= days.to; day = addDays(day, 1)) {
    if (!sizes.get(day)) continue;
    const parts = Math.max(1, Math.ceil(sizes.get(day)! / perRead));
    for (let i = 0; i < parts; i++) reads.push({ day, low: Math.floor((SESSION_IDS * i) / parts), high: i + 1 === parts ? SESSION_IDS : Math.floor((SESSION_IDS * (i + 1)) / parts) });
  }
  const read = (i: number) => settledLater(readChunk(ctx.db, siteId, copy, reads[i]!.day, reads[i]!.low, reads[i]!.high));
  let visits = 0;
  let events = 0;
  // Rows go to ClickHouse in inserts of about `perInsert` events (each insert is a part to
  // merge), however the days fall. One insert runs while PostgreSQL reads on: the next read is
  // asked for as soon as one arrives, and a batch is sent without waiting for it to land (only the
  // one before it must have landed). In the heap at once: the batch being sent, the one being
  // filled and one read.
  let batch: string[] = [];
  let batchEvents = 0;
  let inserting: Promise<void> = Promise.resolve();
  const send = async (parts: string[]) => {
    await ctx.store.insertLines("visits", VISIT_ROW, parts);
    if (!(await takeLease(ctx.db, siteId, ctx.holder, ctx.leaseMs))) throw new Error("lost the site's copy lease while copying");
  };
  const flush = async () => {
    await inserting;
    inserting = settledLater(send(batch));
    batch = [];
    batchEvents = 0;
  };
  let next = reads.length ? read(0) : undefined;
  try {
    for (let i = 0; i < reads.length; i++) {
      const chunk = await next!;
      next = i + 1 < reads.length ? read(i + 1) : undefined;
      visits += chunk.visits;
      events += chunk.events;
      if (chunk.body) batch.push(chunk.body);
      batchEvents += chunk.events;
      if (batchEvents >= perInsert) await flush();
    }
    await flush();
    await inserting;
  } finally {
    // Whatever failed, nothing of this copy keeps running behind it.
    await Promise.allSettled([next, inserting]);
  }
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
