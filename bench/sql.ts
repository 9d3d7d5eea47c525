// Query timings on the scratch database, in the bench process: the bare count(*) floor, our
// stats (through the day cache, and with it off), and the Umami-style peer queries.
import { sql } from "kysely";
import type { Db } from "../db/client.js";
import { getDashboardStats, type StatsInput } from "../server/stats/dashboard.js";
import * as peer from "./peer.js";
import { log } from "./progress.js";
import { type Fixtures, MOBILE } from "./seed.js";
import { fixedClock } from "../server/clock.js";
import { createServices } from "../server/services.js";

export interface Timing {
  /** Median of the repetitions, ms. */
  median: number;
  min: number;
  /** The first call, not counted in the median: cold caches, and for our stats the cache fill. */
  first: number;
  reps: number;
}

/** ~20 repetitions, fewer when one is slow (at least 3, about `budgetMs` in all). */
export async function timed(run: () => Promise<unknown>, reps = 20, budgetMs = 6000): Promise<Timing> {
  let start = performance.now();
  await run();
  const first = performance.now() - start;
  const times: number[] = [];
  const began = performance.now();
  const round = (n: number) => Math.round(n * 10) / 10;
  // A query slower than the whole budget (the tables at 10M, the peer) is timed once: its first run.
  if (first > budgetMs) return { median: round(first), min: round(first), first: round(first), reps: 1 };
  while (times.length < reps && (times.length < 3 || performance.now() - began < budgetMs)) {
    start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: round(times[Math.floor((times.length - 1) / 2)]!), min: round(times[0]!), first: round(first), reps: times.length };
}

export interface SqlFigures {
  /** select count(*) over the same site and the last 30 days. */
  floor: Timing;
  stats: Timing;
  statsSegment: Timing;
  /** getDashboardStats with the day cache off: every day recomputed from visits and events. */
  statsRaw: Timing;
  statsSegmentRaw: Timing;
  /**
   * Yesterday alone, cache off: what the live "today" part of every share page costs at the end
   * of a day. At the run's own hour it costs much less (see todayEvents).
   */
  fullDayLive: Timing;
  peerStats: Timing;
  peerSeries: Timing;
  peerMetrics: Timing;
  peerDashboard: Timing;
  peerDashboardSegment: Timing;
  /** Events the 30-day window holds. */
  eventsIn30d: number;
  /** Events so far today (site-local), which every share page view recomputes live. */
  todayEvents: number;
  /** Site-local time of the run, e.g. "03:12 Europe/Berlin". */
  siteTime: string;
}

export async function measureSql(db: Db, fx: Fixtures): Promise<SqlFigures> {
  const site = fx.site;
  const services = createServices(db);
  const floorQuery = () =>
    sql<{ n: number }>`select count(*)::int8 as n from events where site_id = ${site.id} and ts >= now() - interval '30 days'`.execute(db);
  const eventsIn30d = (await floorQuery()).rows[0]?.n ?? 0;
  const now = new Date();
  const localDay = (d: Date) => d.toLocaleDateString("sv", { timeZone: site.timezone });
  const today = localDay(now);
  const yesterday = localDay(new Date(now.getTime() - 86_400_000));
  const { rows } = await sql<{ n: number }>`select count(*)::int8 as n from events where site_id = ${site.id} and day = ${today}`.execute(db);
  const todayEvents = rows[0]?.n ?? 0;
  const siteTime = `${now.toLocaleTimeString("en-GB", { timeZone: site.timezone, hour: "2-digit", minute: "2-digit" })} ${site.timezone}`;
  const step = async (label: string, run: () => Promise<unknown>) => {
    const timing = await timed(run);
    log(`  ${label}: median ${timing.median} ms (first ${timing.first} ms, ${timing.reps} reps)`);
    return timing;
  };
  const input = (extra: Partial<StatsInput>): StatsInput => ({ period: { key: "30d" }, filters: [], ...extra });
  const end = new Date();
  const scope: peer.PeerScope = {
    siteId: site.id,
    domain: site.domain,
    timezone: site.timezone,
    start: new Date(end.getTime() - 30 * 86_400_000),
    end,
    filters: [],
  };
  const segmentScope = { ...scope, filters: MOBILE };
  return {
    eventsIn30d,
    todayEvents,
    siteTime,
    floor: await step("count(*) floor", floorQuery),
    // An explicit clock bypasses the few seconds of in-memory results, so this measures the
    // database work of every request that misses them: finished days from stats_day_cache, today live.
    stats: await step("getDashboardStats 30d", () => getDashboardStats({ ...services, clock: fixedClock(new Date()) }, site, input({}))),
    statsSegment: await step("getDashboardStats 30d, segment", () => getDashboardStats({ ...services, clock: fixedClock(new Date()) }, site, input({ segmentFilters: MOBILE }))),
    statsRaw: await step("getDashboardStats 30d, cache off", () => getDashboardStats(services, site, input({ cache: false }))),
    statsSegmentRaw: await step("getDashboardStats 30d, segment, cache off", () =>
      getDashboardStats(services, site, input({ segmentFilters: MOBILE, cache: false })),
    ),
    fullDayLive: await step("getDashboardStats, yesterday only, cache off", () =>
      getDashboardStats(services, site, { period: { key: "custom", from: yesterday, to: yesterday }, filters: [], cache: false }),
    ),
    peerStats: await step("peer website-stats", () => peer.websiteStats(db, scope)),
    peerSeries: await step("peer pageviews + sessions series", () => peer.series(db, scope)),
    peerMetrics: await step("peer metrics, 11 panels", () => peer.metrics(db, scope)),
    peerDashboard: await step("peer dashboard (all of it)", () => peer.dashboard(db, scope)),
    peerDashboardSegment: await step("peer dashboard, segment", () => peer.dashboard(db, segmentScope)),
  };
}
