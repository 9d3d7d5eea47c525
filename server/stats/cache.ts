import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { jsonb } from "../../db/json.js";
import type { GoalDefinition } from "../goals/goals.js";
import type { Filter } from "../schemas/filters.js";
import { computeDays } from "./aggregate.js";
import { eachDay, settledDay } from "../dates.js";
import type { DayStats } from "./day-stats.js";
import type { DayRange } from "./period.js";

/** Bump when DayStats changes shape or units (v3: durations in milliseconds): old entries then simply stop matching. */
const FORMAT = "day-stats-v3";
const EVICT_AFTER_DAYS = 30;

/**
 * The same filters in any order, with values in any order, are the same cache entry. The timezone
 * is part of the key because hourly figures depend on it, and the site's goals because each day
 * holds their conversions and goal filters name them: a goal added, changed or removed starts
 * new entries.
 */
export function filterKey(filters: Filter[], timezone: string, goals: GoalDefinition[] = []): string {
  const normal = filters.map((f) => JSON.stringify([f.dimension, f.operator, [...f.values].sort()])).sort();
  const goalDefs = goals.map((g) => JSON.stringify([g.id, g.name, g.kind, g.match])).sort();
  return createHash("sha256").update(`${FORMAT}\n${timezone}\n${normal.join("\n")}\n--\n${goalDefs.join("\n")}`).digest("hex");
}

/**
 * For anything that writes into finished days (imports, repairs): their cached figures are stale,
 * and every instance's columnar copy of the site rebuilds when it sees the new stats version.
 */
/** The site's stats version: it moves with every rewrite of finished days (-1: no such site). */
export async function statsVersion(db: Db, siteId: string): Promise<number> {
  return (await db.selectFrom("sites").select("stats_version").where("id", "=", siteId).executeTakeFirst())?.stats_version ?? -1;
}

export async function invalidateStats(db: Db, siteId: string): Promise<void> {
  await db.updateTable("sites").set((eb) => ({ stats_version: eb("stats_version", "+", 1) })).where("id", "=", siteId).execute();
  await db.deleteFrom("stats_day_cache").where("site_id", "=", siteId).execute();
  for (const key of [...memory.keys()]) if (key.startsWith(`${siteId}\n`)) forget(key);
}

export interface DaysRequest extends DayRange {
  site: { id: string; timezone: string };
  /**
   * The site's stats version the view began with: kept days are kept under it. `invalidateStats`
   * clears this process's memory and the shared rows, but another instance's memory, or a day
   * computed from the tables just before a rewrite and stored just after, would otherwise answer
   * for the rewritten day until it aged out.
   */
  version: number;
  filters: Filter[];
  goals: GoalDefinition[];
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
 * Finished days never change, so the ones read or computed recently also stay parsed in memory:
 * most views then read no cache rows at all. Bounded by an estimate of their size (about 160 bytes
 * of heap per [value, visitors, count] row, measured), least recently used first out.
 */
const MEMORY_BUDGET = 24 * 1024 * 1024;
const TOUCH_AFTER_MS = 86_400_000;

interface Remembered {
  stats: DayStats;
  size: number;
  /** When stats_day_cache.used_at was last set for this row, as far as this process knows. */
  usedAt: number;
}

const memory = new Map<string, Remembered>();
let memorySize = 0;

const sizeOf = (stats: DayStats) => 600 + 160 * Object.values(stats.groups).reduce((n, rows) => n + (rows?.length ?? 0), 0);

function remember(key: string, stats: DayStats, usedAt: number) {
  forget(key);
  const size = sizeOf(stats);
  if (size > MEMORY_BUDGET / 16) return;
  memory.set(key, { stats, size, usedAt });
  memorySize += size;
  for (const [oldest] of memory) {
    if (memorySize <= MEMORY_BUDGET) break;
    forget(oldest);
  }
}

function forget(key: string) {
  const entry = memory.get(key);
  if (!entry) return;
  memory.delete(key);
  memorySize -= entry.size;
}

function recall(key: string): Remembered | undefined {
  const entry = memory.get(key);
  if (entry) {
    memory.delete(key);
    memory.set(key, entry);
  }
  return entry;
}

/**
 * Per-day stats for a range: finished days from memory or stats_day_cache where present, the rest
 * computed and (when finished) stored. Today is always computed live.
 */
export async function loadDays(db: Db, request: DaysRequest): Promise<DayStats[]> {
  const { site, filters, goals } = request;
  const days = eachDay(request.from, request.to);
  const settled = settledDay(site.timezone, request.now);
  const useCache = request.cache !== false;
  const key = createHash("sha256").update(`${filterKey(filters, site.timezone, goals)}\nversion ${request.version}`).digest("hex");
  const memoryKey = (day: string) => `${site.id}\n${key}\n${day}`;
  const known = new Map<string, DayStats>();
  if (useCache) {
    const stale: string[] = [];
    for (const day of days) {
      const entry = day < settled ? recall(memoryKey(day)) : undefined;
      if (!entry) continue;
      known.set(day, entry.stats);
      if (Date.now() - entry.usedAt > TOUCH_AFTER_MS) {
        stale.push(day);
        entry.usedAt = Date.now();
      }
    }
    const unread = days.filter((day) => day < settled && !known.has(day));
    if (unread.length) {
      const rows = await db
        .selectFrom("stats_day_cache")
        .select(["day", "payload", "used_at"])
        .where("site_id", "=", site.id)
        .where("filter_key", "=", key)
        .where("day", ">=", unread[0]!)
        .where("day", "<=", unread[unread.length - 1]!)
        .execute();
      for (const row of rows) {
        if (known.has(row.day)) continue;
        const stats = row.payload as DayStats;
        known.set(row.day, stats);
        const touched = Date.now() - row.used_at.getTime() > TOUCH_AFTER_MS;
        if (touched) stale.push(row.day);
        remember(memoryKey(row.day), stats, touched ? Date.now() : row.used_at.getTime());
      }
    }
    await touch(db, site.id, key, stale);
  }
  const missing = days.filter((day) => !known.has(day));
  for (const run of runs(missing)) {
    const computed = await computeDays(db, { siteId: site.id, from: run.from, to: run.to, filters, goals }, site.timezone, eachDay(run.from, run.to));
    for (const [day, stats] of computed) known.set(day, stats);
    const finished = [...computed].filter(([day]) => day < settled);
    if (useCache && finished.length) {
      await store(db, site.id, key, finished);
      for (const [day, stats] of finished) remember(memoryKey(day), stats, Date.now());
    }
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
async function touch(db: Db, siteId: string, key: string, days: string[]) {
  if (!days.length) return;
  await db
    .updateTable("stats_day_cache")
    .set({ used_at: new Date() })
    .where("site_id", "=", siteId)
    .where("filter_key", "=", key)
    .where("day", "in", days)
    .execute();
}
