// The result: a table on stdout, one entry appended to bench/results.json, and the latest tables
// between markers in docs/performance.md (the prose around them is written by hand).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem, type } from "node:os";
import type { AttackFigures } from "./abuse.js";
import type { BurstFigures } from "./burst.js";
import type { IngestFigures } from "./ingest.js";
import type { FloodFigures, LoadFigures } from "./load.js";
import type { DbKind } from "./scratch.js";
import type { LoadResult } from "./seed.js";
import type { SqlFigures, Timing } from "./sql.js";
import type { EngineFigures, ViewTiming } from "./views.js";

export interface SizeResult {
  requestedEvents: number;
  load: LoadResult;
  /** Absent (with the page scenarios and the views) in `--only ingest` runs. */
  sql?: SqlFigures;
  /** The columnar engine: building its copy, and every dashboard view next to its floor. */
  engine?: EngineFigures;
  /** The same views, where tools compare runs: { period, filters, cold, ms, floorMs }. */
  views?: ViewTiming[];
  scenarios?: LoadFigures[];
  flood?: FloodFigures;
  /** One client attacking while others are measured (absent in runs before it existed). */
  abuse?: AttackFigures[];
  /** POST /api/event (absent in runs before it existed). */
  ingest?: IngestFigures;
  /** Page- and goal-filtered views before and right after a burst of visits (absent before it existed). */
  burst?: BurstFigures;
  /** Absent in `--only views` runs (no server). */
  serverPeakRssMb?: number;
  /** The column store's own process, whole run (absent before it had one). */
  statsProcessPeakRssMb?: number;
  seconds: number;
  /** 1-minute load average before and after this size: other work on the machine skews everything. */
  loadAverage: [number, number];
}

export interface RunResult {
  commit: string;
  /** Uncommitted changes were present, so the commit alone does not describe the code. */
  dirty: boolean;
  date: string;
  machine: { os: string; cpus: number; cpuModel: string; memoryGb: number; node: string; db: DbKind; dbVersion: string };
  options: { events: number[]; duration: number; connections: number; serverNodeOptions: string; only?: string; engine?: string };
  /** The page ceiling; absent in `--only ingest` runs. */
  bare?: LoadFigures;
  /** The ingestion ceiling: node:http answering the same POSTs with 202 (absent in runs before it existed). */
  barePost?: LoadFigures;
  sizes: SizeResult[];
  totalSeconds: number;
}

function git(args: string[]): string {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

export function machine(db: DbKind, dbVersion: string): RunResult["machine"] {
  return {
    os: `${type()} ${release()}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "?",
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    db,
    dbVersion,
  };
}

export function revision(): { commit: string; dirty: boolean } {
  return { commit: git(["rev-parse", "HEAD"]) || "unknown", dirty: git(["status", "--porcelain"]) !== "" };
}

const n = (v: number) => (Number.isFinite(v) ? v.toLocaleString("en", { maximumFractionDigits: 1 }) : "—");
const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(1)}×` : "—");
const sizeLabel = (events: number) => (events >= 1e6 ? `${events / 1e6}M` : events >= 1e3 ? `${events / 1e3}k` : String(events));

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((h, i) => (i === 0 ? "---" : "---:"))), ...rows.map(line)].join("\n");
}

function httpTable(bare: LoadFigures, size: SizeResult & Required<Pick<SizeResult, "scenarios" | "flood">>): string {
  const row = (f: LoadFigures) => [f.scenario, n(f.p50), n(f.p95), n(f.p99), n(f.rps), n(f.bad), n(f.rssPeakMb), n(f.kbPerResponse), ratio(f.p50, bare.p50)];
  const flood = size.flood;
  return table(
    ["HTTP, 10 connections", "p50 ms", "p95 ms", "p99 ms", "req/s", "non-2xx/3xx", "peak RSS MB", "KB/resp", "p50 vs bare"],
    [
      row(bare),
      ...size.scenarios.map(row),
      row(flood.open),
      [`… its flood (wrong passwords; 401 expected)`, n(flood.flood.p50), n(flood.flood.p95), n(flood.flood.p99), n(flood.flood.rps), n(flood.flood.bad), n(flood.flood.rssPeakMb), n(flood.flood.kbPerResponse), "—"],
    ],
  );
}

const percent = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? `${Math.round((a / b) * 100)} %` : "—");
const seconds = (s: number | null, limit: number) => (s === null ? `more than ${limit} s` : `${n(s)} s`);

function ingestTable(barePost: LoadFigures | undefined, ingest: IngestFigures): string {
  const row = (f: LoadFigures, eventsPerSecond: number, vsBare: string) => [f.scenario, n(f.p50), n(f.p95), n(f.p99), n(eventsPerSecond), n(f.bad), n(f.rssPeakMb), vsBare];
  const rows = [
    ...(barePost ? [row(barePost, barePost.rps, "—")] : []),
    row(ingest.max, ingest.eventsPerSecond, barePost ? percent(ingest.eventsPerSecond, barePost.rps) : "—"),
    row(ingest.steady, ingest.steady.rps, "—"),
  ];
  const counted = ingest.countedBy === "sql" ? "count(*) of the site's events" : "today's pageviews on the dashboard: PGlite is the server's alone while it runs";
  return (
    table(["Ingestion, POST /api/event, 10 connections", "p50 ms", "p95 ms", "p99 ms", "events/s (2xx)", "non-2xx", "peak RSS MB", "vs bare"], rows) +
    `\n\nA new visitor (an address of its own, one of ${ingest.browsers} browsers) every ${ingest.pagesPerVisit} events, on about 8,000 pages. ` +
    `Written ${n(ingest.written)} events for ${n(ingest.accepted)} accepted and ${n(ingest.unanswered)} sent but unanswered when a load stopped (${counted}); ` +
    `after the full-speed run the count stopped growing ${n(ingest.drainSeconds)} s after it ended. ` +
    `One more pageview, to a new page, with no load running: counted in today's pageviews after ${seconds(ingest.dashboardTotalsSeconds, 30)}, ` +
    `its page in today's top pages (filtered to it) after ${seconds(ingest.dashboardSeconds, 30)} (asked every 100 ms; today's figures are kept up to 2 s).`
  );
}

function abuseTable(attacks: AttackFigures[]): string {
  const rows = attacks.flatMap((a) =>
    a.victims.map((v, i) => [
      i === 0 ? a.attack : "",
      v.name,
      n(v.aloneP95),
      n(v.underP95),
      `${v.ratio.toFixed(2)}×`,
      n(v.bad),
      i === 0 ? Object.entries(a.attacker).map(([k, c]) => `${k}: ${c}`).join(", ") : "",
      i === 0 && a.written !== undefined ? `${n(a.written)} of ${n(a.attacker[202] ?? 0)}` : "",
      i === 0 ? `${n(a.rssPeakMb)}${a.serverAlive === false ? " (died)" : ""}` : "",
    ]),
  );
  return table(["One client attacking", "others' page", "p95 alone ms", "p95 under attack ms", "ratio", "bad", "attacker was answered", "its 202s written", "peak RSS MB"], rows);
}

/**
 * Cold no-filter views (a new segment link's first view) and page or goal filters never asked
 * before may take 3× the floor, every other view 2×.
 */
const viewLimit = (v: ViewTiming) => (v.cold && (v.filters === 0 || v.on?.some((d) => d === "page" || d === "goal")) ? 3 : 2);
const OLD_LABELS = ["no filter", "country = DE", "device = Mobile, source = Google"];
const viewLabel = (v: ViewTiming) => {
  const shows = v.label ?? OLD_LABELS[v.filters] ?? `${v.filters} filters`;
  const when = v.cold ? ", cold" : ", again";
  return `${v.period === "30d" ? "30 days" : "12 months"}, ${shows}${when}`;
};

function viewsTable(engine: EngineFigures): string {
  const rows = engine.views.map((v) => [viewLabel(v), (v.on ?? []).join(", ") || "–", n(v.events), n(v.ms), n(v.floorMs), ratio(v.ms, v.floorMs), `${viewLimit(v)}×`, String(v.reps)]);
  return (
    `${engine.kind === "clickhouse" ? "ClickHouse" : "Columnar"} copy built from the tables in ${n(engine.syncSeconds)} s (${n(engine.syncRowsPerSecond)} rows/s), ${n(engine.fileMb)} MB on disk.\n\n` +
    table([engine.kind === "clickhouse" ? "Dashboard view, ClickHouse engine (clickhouse:local)" : "Dashboard view, columnar engine (in process)", "on", "events", "median ms", "count(*) ms", "ratio", "target", "reps"], rows)
  );
}

function burstTable(b: BurstFigures): string {
  const rows = b.views.map((v) => [`${v.period === "today" ? "today" : "30 days"}, ${v.filter} filter`, n(v.beforeMs), n(v.afterMs), ratio(v.afterMs, v.beforeMs), n(v.floorMs), String(v.reps)]);
  return (
    `A burst of ${n(b.visits)} visits (${n(b.events)} events) written in ${n(b.writeSeconds)} s; ${n(b.recentVisits)} visits ended in the five minutes before the views after it.\n\n` +
    table(["View right after a burst (in process)", "before ms", "after ms", "after / before", "count(*) ms", "reps"], rows)
  );
}

/** "No view slower right after a burst": within the same run's noise, a quarter. */
const BURST_SLACK = 1.25;

function sqlTable(s: SqlFigures): string {
  const row = (label: string, t: Timing) => [label, n(t.median), n(t.first), String(t.reps), ratio(t.median, s.floor.median)];
  return table(
    ["Query, 30 days (in process, sequential)", "median ms", "first ms", "reps", "vs count(*)"],
    [
      row("floor: count(*) of the site's events", s.floor),
      row("ours: getDashboardStats (day cache)", s.stats),
      row("ours: same, segment", s.statsSegment),
      row("ours: getDashboardStats, cache off", s.statsRaw),
      row("ours: same, segment, cache off", s.statsSegmentRaw),
      row("ours: one full day live (yesterday, cache off)", s.fullDayLive),
      row("peer: website-stats (one window)", s.peerStats),
      row("peer: pageviews + sessions series", s.peerSeries),
      row("peer: metrics, 11 panels", s.peerMetrics),
      row("peer: whole dashboard (concurrent)", s.peerDashboard),
      row("peer: whole dashboard, segment", s.peerDashboardSegment),
    ],
  );
}

/** SPEC §9. */
function targets(size: SizeResult, db: DbKind, barePost: LoadFigures | undefined): string {
  const [share, , settings] = size.scenarios ?? [];
  const shareLimit = 100;
  const mark = (ok: boolean) => (ok ? "met" : "**missed**");
  const rows: string[][] = [];
  if (share && shareLimit) rows.push([`share page p95 ≤ ${shareLimit} ms`, `${n(share.p95)} ms`, mark(share.p95 <= shareLimit)]);
  if (settings) rows.push(["settings page ≥ 500 req/s", `${n(settings.rps)} req/s`, mark(settings.rps >= 500)]);
  const rss = size.serverPeakRssMb;
  if (rss !== undefined) rows.push([size.requestedEvents <= 1_000_000 ? "peak RSS ≤ 300 MB" : "peak RSS (reported; bounded by config)", `${n(rss)} MB`, size.requestedEvents <= 1_000_000 ? mark(rss <= 300) : "—"]);
  if (size.statsProcessPeakRssMb !== undefined) rows.push(["stats process peak RSS (its own process; reported)", `${n(size.statsProcessPeakRssMb)} MB`, "—"]);
  if (size.flood) rows.push(["open page p95 under flood < 2× alone", `${size.flood.p95Ratio}×`, mark(size.flood.p95Ratio < 2)]);
  for (const attack of size.abuse ?? []) {
    const worst = Math.max(...attack.victims.map((v) => v.ratio));
    rows.push([`others' p95 < 2× under: ${attack.attack}`, `${worst.toFixed(2)}× at worst`, mark(worst < 2 && attack.victims.every((v) => v.bad === 0))]);
    if (attack.written !== undefined) {
      const accepted = attack.attacker[202] ?? 0;
      rows.push([`server up, every 202 written: ${attack.attack}`, `${attack.serverAlive ? "up" : "died"}; ${n(attack.written)} of ${n(accepted)}`, mark(attack.serverAlive !== false && attack.written >= accepted)]);
    }
  }
  const ingest = size.ingest;
  if (ingest) {
    const floor = db === "postgres" ? 5_000 : 2_000;
    rows.push([`ingestion ≥ ${n(floor)} events/s (${db === "postgres" ? "PostgreSQL" : "PGlite"})`, `${n(ingest.eventsPerSecond)} events/s`, mark(ingest.eventsPerSecond >= floor)]);
    if (barePost) rows.push(["ingestion ≥ 20 % of the bare POST ceiling", percent(ingest.eventsPerSecond, barePost.rps), mark(ingest.eventsPerSecond >= 0.2 * barePost.rps)]);
    rows.push([`ingestion p99 ≤ 50 ms at ${n(ingest.steadyRate)} events/s`, `${n(ingest.steady.p99)} ms`, mark(ingest.steady.p99 <= 50 && ingest.steady.bad === 0)]);
    const written = ingest.written >= ingest.accepted && ingest.written <= ingest.accepted + ingest.unanswered;
    rows.push(["every accepted event written", `${n(ingest.written)} for ${n(ingest.accepted)} (+${n(ingest.unanswered)} unanswered)`, mark(written)]);
    const within5 = (s: number | null) => mark(s !== null && s <= 5);
    rows.push(["a new event in today's pageviews ≤ 5 s", seconds(ingest.dashboardTotalsSeconds, 30), within5(ingest.dashboardTotalsSeconds)]);
    rows.push(["a new page in today's top pages ≤ 5 s", seconds(ingest.dashboardSeconds, 30), within5(ingest.dashboardSeconds)]);
    if (size.requestedEvents <= 1_000_000) rows.push(["peak RSS while ingesting ≤ 300 MB", `${n(ingest.max.rssPeakMb)} MB`, mark(ingest.max.rssPeakMb <= 300)]);
  }
  for (const v of size.engine?.views ?? []) {
    rows.push([`${viewLabel(v)} ≤ ${viewLimit(v)}× count(*)`, ratio(v.ms, v.floorMs), mark(v.ms <= viewLimit(v) * v.floorMs)]);
  }
  for (const v of size.burst?.views ?? []) {
    rows.push([`${v.period === "today" ? "today" : "30 days"}, ${v.filter} filter, right after a burst ≤ ${BURST_SLACK}× before`, ratio(v.afterMs, v.beforeMs), mark(v.afterMs <= BURST_SLACK * v.beforeMs)]);
  }
  return table(["SPEC §9 target", "measured", ""], rows);
}

export function render(run: RunResult): string {
  const m = run.machine;
  const parts = [
    `Commit ${run.commit.slice(0, 12)}${run.dirty ? " (with uncommitted changes)" : ""}, ${run.date}; ${m.os}, ${m.cpus} × ${m.cpuModel}, ` +
      `${m.memoryGb} GB, Node ${m.node}, ${m.db === "postgres" ? "PostgreSQL" : "PGlite (embedded)"} ${m.dbVersion}. ` +
      `autocannon, ${run.options.connections} connections, ${run.options.duration} s per scenario` +
      `${run.options.only && run.options.only !== "all" ? ` (only: ${run.options.only})` : ""}` +
      `${run.options.serverNodeOptions ? `; server started with NODE_OPTIONS=${run.options.serverNodeOptions}` : ""}. Whole run ${n(run.totalSeconds)} s.`,
  ];
  for (const size of run.sizes) {
    const l = size.load;
    const { sql, scenarios, flood } = size;
    parts.push(
      `### ${sizeLabel(size.requestedEvents)} events\n\n` +
        `${n(l.events)} events in ${n(l.visits)} visits over 91 days${sql ? `, ${n(sql.eventsIn30d)} in the last 30 days` : ""}. ` +
        `Generated in ${n(l.generateSeconds)} s, COPY ${n(l.copySeconds)} s, indexes ${n(l.indexSeconds)} s, analyze ${n(l.analyzeSeconds)} s; ` +
        `this size took ${n(size.seconds)} s in all.${sql ? ` Run at ${sql.siteTime} (site time): today's live part held ${n(sql.todayEvents)} events.` : ""} ` +
        `Load average ${size.loadAverage[0]} before, ${size.loadAverage[1]} after.`,
      ...(run.bare && scenarios && flood ? [httpTable(run.bare, { ...size, scenarios, flood })] : []),
      ...(size.abuse ? [abuseTable(size.abuse)] : []),
      ...(size.ingest ? [ingestTable(run.barePost, size.ingest)] : []),
      ...(size.engine ? [viewsTable(size.engine)] : []),
      ...(size.burst ? [burstTable(size.burst)] : []),
      ...(sql ? [sqlTable(sql)] : []),
      targets(size, m.db, run.barePost),
    );
  }
  return parts.join("\n\n");
}

export function appendResults(run: RunResult, path = "bench/results.json"): void {
  const previous: unknown[] = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : [];
  if (!Array.isArray(previous)) throw new Error(`${path} is not a JSON array; not overwriting it`);
  previous.push(run);
  writeFileSync(path, `${JSON.stringify(previous, null, 2)}\n`);
}

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

/**
 * The newest figures of each kind of run (what it measured, on which engine and database) and
 * size, newest first: a run of the views alone does not hide the last full run, nor a run on one
 * engine the other's. Each keeps its own commit and date.
 */
export function latestRuns(runs: RunResult[]): RunResult[] {
  const seen = new Set<string>();
  const picked: RunResult[] = [];
  for (const run of [...runs].reverse()) {
    const kind = `${run.options?.only ?? "all"} ${run.options?.engine ?? "columnar"} ${run.machine?.db}`;
    const sizes = (run.sizes ?? []).filter((size) => !seen.has(`${kind} ${size.requestedEvents}`));
    for (const size of sizes) seen.add(`${kind} ${size.requestedEvents}`);
    if (sizes.length) picked.push({ ...run, sizes });
  }
  return picked;
}

/**
 * Replaces what lies between the markers with the newest run of each kind in `results` (the
 * hand-written explanation around them stays). Runs written before the report knew their shape
 * are left out.
 */
export function writeDoc(results = "bench/results.json", path = "docs/performance.md"): void {
  const runs: RunResult[] = JSON.parse(readFileSync(results, "utf8"));
  const rendered = latestRuns(runs).flatMap((run) => {
    try {
      return [render(run)];
    } catch {
      return [];
    }
  });
  const block = `${START}\n<!-- Written by \`npm run bench\` from bench/results.json: the newest run of each kind and size; edit outside these markers. -->\n\n${rendered.join("\n\n---\n\n")}\n\n${END}`;
  const text = existsSync(path) ? readFileSync(path, "utf8") : "# Performance\n\n";
  const at = text.indexOf(START);
  const to = text.indexOf(END);
  const next = at >= 0 && to > at ? `${text.slice(0, at)}${block}${text.slice(to + END.length)}` : `${text.trimEnd()}\n\n## Latest runs\n\n${block}\n`;
  writeFileSync(path, next);
}
