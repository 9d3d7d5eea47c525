import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { jsonb } from "../../db/json.js";
import type { Filter } from "../schemas/filters.js";
import { computeDays } from "./aggregate.js";
import { eachDay, localDay } from "./dates.js";
import type { DayStats } from "./day-stats.js";
import type { DayRange } from "./period.js";

/** Bump when DayStats changes shape: old entries then simply stop matching. */
const FORMAT = "day-stats-v1";
/** Events are stamped with the time they arrive, so a day is final once it is over everywhere we write. */
const SETTLE_MS = 5 * 60_000;
const EVICT_AFTER_DAYS = 30;

/**
 * The same filters in any order, with values in any order, are the same cache entry. The timezone
 * is part of the key because hourly figures depend on it.
 */
export function filterKey(filters: Filter[], timezone: string): string {
  const normal = filters.map((f) => JSON.stringify([f.dimension, f.operator, [...f.values].sort()])).sort();
  return createHash("sha256").update(`${FORMAT}\n${timezone}\n${normal.join("\n")}`).digest("hex");
}

/** For anything that writes into finished days (imports, repairs): their cached figures are stale. */
export async function clearStatsCache(db: Db, siteId: string): Promise<void> {
  await db.deleteFrom("stats_day_cache").where("site_id", "=", siteId).execute();
}

export interface DaysRequest extends DayRange {
  site: { id: string; timezone: string };
  filters: Filter[];
  now: Date;
  /** False computes everything from the raw tables (tests compare both paths). */
  cache?: boolean;
}

/** Contiguous runs of days, so each run is one indexed range scan. */
function runs(days: string[]): DayRange[] {
  const result: DayRange[] = [];
  for (const day of days) {
    const last = result[result.length - 1];
    if (last && eachDay(last.to, day).length === 2) last.to = day;
    else result.push({ from: day, to: day });
  }
  return result;
}

/**
 * Per-day stats for a range: finished days from stats_day_cache where present, the rest computed
 * and (when finished) stored. Today is always computed live.
 */
export async function loadDays(db: Db, request: DaysRequest): Promise<DayStats[]> {
  const { site, filters } = request;
  const days = eachDay(request.from, request.to);
  const settled = localDay(new Date(request.now.getTime() - SETTLE_MS), site.timezone);
  const useCache = request.cache !== false;
  const key = filterKey(filters, site.timezone);
  const known = new Map<string, DayStats>();
  if (useCache) {
    const rows = await db
      .selectFrom("stats_day_cache")
      .select(["day", "payload", "used_at"])
      .where("site_id", "=", site.id)
      .where("filter_key", "=", key)
      .where("day", ">=", request.from)
      .where("day", "<=", request.to)
      .where("day", "<", settled)
      .execute();
    for (const row of rows) known.set(row.day, row.payload as DayStats);
    await touch(db, site.id, key, rows);
  }
  const missing = days.filter((day) => !known.has(day));
  for (const run of runs(missing)) {
    const computed = await computeDays(db, { siteId: site.id, from: run.from, to: run.to, filters }, site.timezone, eachDay(run.from, run.to));
    for (const [day, stats] of computed) known.set(day, stats);
    const finished = [...computed].filter(([day]) => day < settled);
    if (useCache && finished.length) await store(db, site.id, key, finished);
  }
  return days.map((day) => known.get(day)!);
}

async function store(db: Db, siteId: string, key: string, days: [string, DayStats][]) {
  for (let i = 0; i < days.length; i += 200) {
    await db
      .insertInto("stats_day_cache")
      .values(days.slice(i, i + 200).map(([day, stats]) => ({ site_id: siteId, day, filter_key: key, payload: jsonb(stats), used_at: new Date() })))
      .onConflict((oc) => oc.columns(["site_id", "filter_key", "day"]).doNothing())
      .execute();
  }
  // Filter sets nobody looks at any more (an ad-hoc click last month) would otherwise pile up.
  await db
    .deleteFrom("stats_day_cache")
    .where("site_id", "=", siteId)
    .where("used_at", "<", sql<Date>`now() - make_interval(days => ${EVICT_AFTER_DAYS})`)
    .execute();
}

/** used_at is refreshed at most daily, so reading the cache rarely writes. */
async function touch(db: Db, siteId: string, key: string, rows: { day: string; used_at: Date }[]) {
  const stale = rows.filter((r) => Date.now() - r.used_at.getTime() > 86_400_000).map((r) => r.day);
  if (!stale.length) return;
  await db
    .updateTable("stats_day_cache")
    .set({ used_at: new Date() })
    .where("site_id", "=", siteId)
    .where("filter_key", "=", key)
    .where("day", "in", stale)
    .execute();
}
