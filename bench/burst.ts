// Views right after a burst of traffic (SPEC §9: no view slower right after a burst): page- and
// goal-filtered dashboards timed next to the bare count(*) of their rows, then thousands of visitors
// arrive within two minutes through the ingestion code, then the same views again at once. Every
// one of those visits ended in the last five minutes, so "current visitors" counts them all.
import { sql } from "kysely";
import type { Db } from "../db/client.js";
import { Conflict } from "../server/errors.js";
import { createGoal } from "../server/goals/goals.js";
import { writeBatch } from "../server/ingest/batch.js";
import { prepareEvent } from "../server/ingest/pipeline.js";
import type { PreparedEvent } from "../server/ingest/model.js";
import type { Filter } from "../server/schemas/filters.js";
import type { Period } from "../server/schemas/stats.js";
import { openColumnarEngine } from "../server/stats/columnar/engine.js";
import { getDashboardStats } from "../server/stats/dashboard.js";
import { keepFinishedDays } from "../server/stats/kept-engine.js";
import { resolvePeriod } from "../server/stats/period.js";
import { log } from "./progress.js";
import type { Fixtures } from "./seed.js";
import { fixedClock } from "../server/clock.js";
import { createServices } from "../server/services.js";

export const BURST_VISITS = 5_000;

export interface BurstTiming {
  period: "today" | "30d";
  filter: "page" | "goal";
  /** Medians, ms: before the burst, right after it, and the bare count(*) of the same days. */
  beforeMs: number;
  afterMs: number;
  floorMs: number;
  reps: number;
}

export interface BurstFigures {
  visits: number;
  events: number;
  writeSeconds: number;
  /** Visits that ended in the five minutes before the views after the burst. */
  recentVisits: number;
  views: BurstTiming[];
}

const CASES: { period: "today" | "30d"; filter: "page" | "goal"; filters: Filter[] }[] = [
  { period: "today", filter: "page", filters: [{ dimension: "page", operator: "is", values: ["/pricing"] }] },
  { period: "30d", filter: "page", filters: [{ dimension: "page", operator: "is", values: ["/pricing"] }] },
  { period: "30d", filter: "goal", filters: [{ dimension: "goal", operator: "is", values: ["Visit /docs*"] }] },
];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor((sorted.length - 1) / 2)]! * 10) / 10;
};

/** Sends `visits` two-page visits ending within the last two minutes, through the batched writer. */
async function burst(db: Db, fx: Fixtures, visits: number): Promise<number> {
  const services = createServices(db);
  const now = Date.now();
  const pages = ["/", "/pricing", "/features", "/docs/getting-started", "/blog/launch-week-recap"];
  const agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
  let events = 0;
  for (let first = 0; first < visits; first += 500) {
    const batch: PreparedEvent[] = [];
    for (let i = first; i < Math.min(visits, first + 500); i++) {
      const ip = `172.${16 + ((i >> 16) & 15)}.${(i >> 8) & 255}.${i & 255}`;
      const at = now - 150_000 + Math.floor((i / visits) * 100_000);
      for (const [n, page] of [pages[i % 5]!, pages[(i + 1) % 5]!].entries()) {
        const payload = { name: "pageview", url: `https://${fx.site.domain}${page}`, domain: fx.site.domain, referrer: "" };
        batch.push((await prepareEvent(services, payload, { ip, userAgent: agent, country: "DE", now: new Date(at + n * 20_000) }))!);
      }
    }
    events += await writeBatch(db, batch);
  }
  return events;
}

export async function measureBurst(db: Db, fx: Fixtures, file: string, memoryMb: number, threads: number): Promise<BurstFigures> {
  // Kept from an earlier run of the same database (--keep): already there.
  await createGoal(db, fx.site.id, { kind: "page", pagePath: "/docs*" }).catch((error) => {
    if (!(error instanceof Conflict)) throw error;
  });
  const engine = await openColumnarEngine(db, { path: file, memoryMb, threads, log });
  try {
    await engine.sync(fx.site);
    // As the server wraps it: the figures of finished days kept.
    const kept = keepFinishedDays(engine);
    const time = async (c: (typeof CASES)[number]) => {
      const period: Period = { key: c.period };
      const range = resolvePeriod(period, fx.site.timezone, new Date());
      const floor = () => sql`select count(*) from events where site_id = ${fx.site.id} and day between ${range.from} and ${range.to}`.execute(db);
      const services = createServices(db, { engine: kept });
      const view = () => getDashboardStats({ ...services, clock: fixedClock(new Date()) }, fx.site, { period, filters: c.filters });
      const [views, floors] = [[] as number[], [] as number[]];
      while (views.length < 7) {
        let t = performance.now();
        await floor();
        floors.push(performance.now() - t);
        t = performance.now();
        await view();
        views.push(performance.now() - t);
      }
      return { ms: median(views), floorMs: median(floors), reps: views.length };
    };
    const before = [];
    for (const c of CASES) before.push(await time(c));
    const started = performance.now();
    const events = await burst(db, fx, BURST_VISITS);
    const writeSeconds = (performance.now() - started) / 1000;
    const { rows } = await sql<{ n: number }>`select count(*)::int8 as n from visits where site_id = ${fx.site.id} and ended_at >= ${new Date(Date.now() - 300_000)}`.execute(db);
    const recentVisits = Number(rows[0]?.n ?? 0);
    log(`  burst: ${BURST_VISITS.toLocaleString("en")} visits, ${events.toLocaleString("en")} events written in ${writeSeconds.toFixed(1)} s; ${recentVisits.toLocaleString("en")} visits ended in the last 5 minutes`);
    const views: BurstTiming[] = [];
    for (const [i, c] of CASES.entries()) {
      const after = await time(c);
      const timing = { period: c.period, filter: c.filter, beforeMs: before[i]!.ms, afterMs: after.ms, floorMs: after.floorMs, reps: after.reps };
      log(`  ${c.period}, ${c.filter} filter: ${timing.beforeMs} ms before the burst, ${timing.afterMs} ms right after (floor ${timing.floorMs} ms, ${(timing.afterMs / timing.floorMs).toFixed(2)}×)`);
      views.push(timing);
    }
    return { visits: BURST_VISITS, events, writeSeconds: Math.round(writeSeconds * 10) / 10, recentVisits, views };
  } finally {
    await engine.close();
  }
}
