// Dashboard views through the columnar engine, each next to the bare count(*) of its own rows,
// timed alternately so both see the same machine. The copy is built here first (timed), and the
// production server then opens the same file.
import { statSync } from "node:fs";
import { sql } from "kysely";
import type { Db } from "../db/client.js";
import type { Filter } from "../server/schemas/filters.js";
import type { Period } from "../server/schemas/stats.js";
import { openColumnarEngine } from "../server/stats/columnar/engine.js";
import { getDashboardStats, type StatsInput } from "../server/stats/dashboard.js";
import { resolvePeriod } from "../server/stats/period.js";
import { log } from "./progress.js";
import type { Fixtures } from "./seed.js";

export interface ViewTiming {
  period: "30d" | "12mo";
  filters: 0 | 1 | 2;
  /** False: the view was asked just before with the same input (what an engine may keep, it has). */
  cold: boolean;
  /** Median, ms. */
  ms: number;
  /** Median of the bare count(*) of the same site and days, timed alternately with the view. */
  floorMs: number;
  reps: number;
  /** Events the view covers. */
  events: number;
}

export interface EngineFigures {
  /** Building the copy of every finished day from the tables. */
  syncSeconds: number;
  syncRowsPerSecond: number;
  fileMb: number;
  views: ViewTiming[];
}

const ONE: Filter[] = [{ dimension: "country", operator: "is", values: ["DE"] }];
const TWO: Filter[] = [
  { dimension: "device", operator: "is", values: ["Mobile"] },
  { dimension: "source", operator: "is", values: ["Google"] },
];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor((sorted.length - 1) / 2)]! * 10) / 10;
};

export async function measureViews(db: Db, fx: Fixtures, file: string, memoryMb: number, threads: number): Promise<EngineFigures> {
  const engine = await openColumnarEngine(db, { path: file, memoryMb, threads, log });
  try {
    const started = performance.now();
    await engine.sync(fx.site);
    const syncSeconds = (performance.now() - started) / 1000;
    const { rows } = await sql<{ n: number }>`select (select count(*) from events where site_id = ${fx.site.id}) + (select count(*) from visits where site_id = ${fx.site.id}) as n`.execute(db);
    const copied = Number(rows[0]?.n ?? 0);
    const fileMb = Math.round(statSync(file).size / 2 ** 20);
    log(`  columnar copy: ${syncSeconds.toFixed(1)} s for ${copied.toLocaleString("en")} rows, ${fileMb} MB`);
    const views: ViewTiming[] = [];
    for (const key of ["30d", "12mo"] as const) {
      const period: Period = { key };
      const now = new Date();
      const range = resolvePeriod(period, fx.site.timezone, now);
      const floor = () => sql<{ n: number }>`select count(*)::int8 as n from events where site_id = ${fx.site.id} and day between ${range.from} and ${range.to}`.execute(db);
      const events = Number((await floor()).rows[0]?.n ?? 0);
      const cases: { filters: 0 | 1 | 2; cold: boolean; input: StatsInput }[] = [
        { filters: 0, cold: true, input: { period, filters: [], cache: false } },
        { filters: 1, cold: true, input: { period, filters: ONE } },
        { filters: 2, cold: true, input: { period, filters: TWO } },
        { filters: 0, cold: false, input: { period, filters: [] } },
      ];
      for (const c of cases) {
        const view = () => getDashboardStats(db, fx.site, { ...c.input, now: new Date() }, engine);
        await view();
        const [viewTimes, floorTimes] = [[] as number[], [] as number[]];
        const began = performance.now();
        while (viewTimes.length < 15 && (viewTimes.length < 5 || performance.now() - began < 8000)) {
          let t = performance.now();
          await floor();
          floorTimes.push(performance.now() - t);
          t = performance.now();
          await view();
          viewTimes.push(performance.now() - t);
        }
        const timing = { period: key, filters: c.filters, cold: c.cold, ms: median(viewTimes), floorMs: median(floorTimes), reps: viewTimes.length, events };
        log(`  ${key}, ${c.filters} filter(s)${c.cold ? ", cold" : ", again"}: ${timing.ms} ms (floor ${timing.floorMs} ms, ${(timing.ms / timing.floorMs).toFixed(2)}×, ${timing.reps} reps)`);
        views.push(timing);
      }
    }
    return { syncSeconds: Math.round(syncSeconds * 10) / 10, syncRowsPerSecond: Math.round(copied / syncSeconds), fileMb, views };
  } finally {
    await engine.close();
  }
}

/** The copy alone, for runs that skip the views: the server would otherwise build it while measured. */
export async function buildCopy(db: Db, fx: Fixtures, file: string, memoryMb: number, threads: number): Promise<void> {
  const engine = await openColumnarEngine(db, { path: file, memoryMb, threads, log });
  try {
    await engine.sync(fx.site);
  } finally {
    await engine.close();
  }
}
