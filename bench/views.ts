// Dashboard views through the columnar engine, each next to the bare count(*) of its own rows,
// timed alternately so both see the same machine. The copy is built here first (timed), and the
// production server then opens the same file.
import { statSync } from "node:fs";
import { sql } from "kysely";
import type { Db } from "../db/client.js";
import type { Filter } from "../server/schemas/filters.js";
import type { Period } from "../server/schemas/stats.js";
import { openClickHouseEngine } from "../server/stats/clickhouse/engine.js";
import { Store } from "../server/stats/clickhouse/store.js";
import { openColumnarEngine } from "../server/stats/columnar/engine.js";
import { getDashboardStats, type StatsInput } from "../server/stats/dashboard.js";
import { keepFinishedDays } from "../server/stats/kept-engine.js";
import { resolvePeriod } from "../server/stats/period.js";
import { log } from "./progress.js";
import type { Fixtures } from "./seed.js";
import { fixedClock } from "../server/clock.js";
import { createServices } from "../server/services.js";

export interface ViewTiming {
  period: "30d" | "12mo";
  /** How many filters the view has. */
  filters: number;
  /** The dimensions it filters on (absent in runs before page and goal filters were timed). */
  on?: string[];
  /** What it shows, e.g. "page is not /, device = Desktop". */
  label?: string;
  /**
   * True: a filter set never asked before (with filters, each repetition adds a value that matches
   * nothing, so the figures are the same but nothing kept can answer). False: the view was asked
   * just before with the same input (what an engine may keep, it has).
   */
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
  /** Which engine (absent: columnar, in runs before there was a choice). */
  kind?: "columnar" | "clickhouse";
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
const PRICING: Filter = { dimension: "page", operator: "is", values: ["/pricing"] };
const BLOG: Filter = { dimension: "page", operator: "contains", values: ["blog"] };
const NOT_HOME: Filter = { dimension: "page", operator: "is_not", values: ["/"] };
const SIGNUP: Filter = { dimension: "goal", operator: "is", values: ["Signup"] };
const NO_SIGNUP: Filter = { dimension: "goal", operator: "is_not", values: ["Signup"] };
const DOCS_GOAL: Filter = { dimension: "goal", operator: "is", values: ["Visit /docs*"] };
const NOT_DE: Filter[] = [{ dimension: "country", operator: "is_not", values: ["DE"] }];
const DESKTOP: Filter = { dimension: "device", operator: "is", values: ["Desktop"] };

interface ViewCase {
  label: string;
  filters: Filter[];
  cold: boolean;
  /** Without filters only: the link's first view, with nothing kept (cache: false). */
  uncached?: boolean;
}

/** The views timed for each period: no filter, visit-level filters, then page and goal filters. */
const CASES: ViewCase[] = [
  { label: "no filter", filters: [], cold: true, uncached: true },
  { label: "country = DE", filters: ONE, cold: true },
  { label: "country = DE", filters: ONE, cold: false },
  { label: "country is not DE", filters: NOT_DE, cold: true },
  { label: "device = Mobile, source = Google", filters: TWO, cold: true },
  { label: "no filter", filters: [], cold: false },
  { label: "page is /pricing", filters: [PRICING], cold: true },
  { label: "page is /pricing", filters: [PRICING], cold: false },
  { label: "page contains blog", filters: [BLOG], cold: true },
  { label: "page is not /", filters: [NOT_HOME], cold: true },
  { label: "page is not /", filters: [NOT_HOME], cold: false },
  { label: "device = Desktop, page is not /", filters: [DESKTOP, NOT_HOME], cold: true },
  { label: "goal is Signup", filters: [SIGNUP], cold: true },
  { label: "goal is Signup", filters: [SIGNUP], cold: false },
  { label: "goal is Visit /docs* (a page goal)", filters: [DOCS_GOAL], cold: true },
  { label: "goal is not Signup, country = DE", filters: [NO_SIGNUP, ...ONE], cold: true },
];

/** The same figures under a filter set never asked before: a value that matches nothing joins each filter. */
const unseen = (filters: Filter[], rep: number): Filter[] => filters.map((f) => ({ ...f, values: [...f.values, `never-asked-${rep}`] }));

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor((sorted.length - 1) / 2)]! * 10) / 10;
};

/** What ClickHouse holds on disk in the database of `url` (its active parts). */
async function clickhouseMb(url: string): Promise<number> {
  const store = new Store({ url });
  try {
    const [row] = await store.rows(`SELECT sum(bytes_on_disk) AS bytes FROM system.parts WHERE active AND database = {db:String}`, { db: store.database });
    return Math.round(Number(row?.bytes ?? 0) / 2 ** 20);
  } finally {
    await store.close();
  }
}

/** With `clickhouseUrl`, the ClickHouse engine on that server instead of the columnar copy in `file`. */
export async function measureViews(db: Db, fx: Fixtures, file: string, memoryMb: number, threads: number, clickhouseUrl?: string): Promise<EngineFigures> {
  const engine = clickhouseUrl ? await openClickHouseEngine(db, { url: clickhouseUrl, log }) : await openColumnarEngine(db, { path: file, memoryMb, threads, log });
  try {
    const started = performance.now();
    await engine.sync(fx.site);
    const syncSeconds = (performance.now() - started) / 1000;
    const { rows } = await sql<{ n: number }>`select (select count(*) from events where site_id = ${fx.site.id}) + (select count(*) from visits where site_id = ${fx.site.id}) as n`.execute(db);
    const copied = Number(rows[0]?.n ?? 0);
    const fileMb = clickhouseUrl ? await clickhouseMb(clickhouseUrl) : Math.round(statSync(file).size / 2 ** 20);
    log(`  ${clickhouseUrl ? "ClickHouse" : "columnar"} copy: ${syncSeconds.toFixed(1)} s for ${copied.toLocaleString("en")} rows, ${fileMb} MB`);
    const views: ViewTiming[] = [];
    // As the server wraps it: the figures of finished days kept.
    const kept = keepFinishedDays(engine);
    const services = createServices(db, { engine: kept });
    for (const key of ["30d", "12mo"] as const) {
      const period: Period = { key };
      const now = new Date();
      const range = resolvePeriod(period, fx.site.timezone, now);
      const floor = () => sql<{ n: number }>`select count(*)::int8 as n from events where site_id = ${fx.site.id} and day between ${range.from} and ${range.to}`.execute(db);
      const events = Number((await floor()).rows[0]?.n ?? 0);
      for (const c of CASES) {
        let rep = 0;
        // A cold view with filters gets a new filter set each time: the engine keeps what it was
        // asked before, whatever the filters, so asking the same set again would not be cold.
        const fresh = c.cold && c.filters.length > 0;
        const input = (): StatsInput => ({ period, filters: fresh ? unseen(c.filters, rep++) : c.filters, ...(c.uncached && { cache: false }) });
        const view = () => getDashboardStats({ ...services, clock: fixedClock(new Date()) }, fx.site, input());
        if (!fresh) await view();
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
        const on = c.filters.map((f) => f.dimension);
        const timing = { period: key, filters: on.length, on, label: c.label, cold: c.cold, ms: median(viewTimes), floorMs: median(floorTimes), reps: viewTimes.length, events };
        log(`  ${key}, ${c.label}${c.cold ? ", cold" : ", again"}: ${timing.ms} ms (floor ${timing.floorMs} ms, ${(timing.ms / timing.floorMs).toFixed(2)}×, ${timing.reps} reps)`);
        views.push(timing);
      }
    }
    return { kind: clickhouseUrl ? "clickhouse" : "columnar", syncSeconds: Math.round(syncSeconds * 10) / 10, syncRowsPerSecond: Math.round(copied / syncSeconds), fileMb, views };
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
