// npm run bench [-- --events 10000,100000,1000000 --duration 10]
//   --keep                 keep the scratch databases (and print how to reach them)
//   --no-save              print only: leave bench/results.json and docs/performance.md alone
//   --server-node-options=--max-old-space-size=128   NODE_OPTIONS for the server under test
//   --server-profile DIR   the server under test writes a CPU profile (.cpuprofile) into DIR
//   --only ingest          only the ingestion scenario (and its bare POST ceiling), e.g.
//                          npm run bench -- --events 10000 --only ingest --duration 8 --no-save
//   --only abuse           only the scenarios where one client attacks and others are measured
//   --only views           only the dashboard views of the columnar engine, each beside count(*)
//   --engine clickhouse    with --only views: the ClickHouse engine's views instead, on CLICKHOUSE_URL
//                          or, without it, on `npm run clickhouse:local` started for the run
// For each size: scratch database, fixtures and bulk traffic, query timings, then the production
// server under autocannon, ingestion last. Ceilings (bare node:http for pages and for POSTs,
// count(*)) and the peer run in the same run.
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createDb } from "../db/client.js";
import { runAbuseScenarios } from "./abuse.js";
import { type BurstFigures, measureBurst } from "./burst.js";
import { eventCounter, runBarePost, runIngest } from "./ingest.js";
import { CONNECTIONS, runBare, runServerScenarios } from "./load.js";
import { log } from "./progress.js";
import { appendResults, machine, render, revision, type RunResult, type SizeResult, writeDoc } from "./report.js";
import { createScratch, type Scratch } from "./scratch.js";
import { BENCH_DOMAIN, createFixtures, loadTraffic } from "./seed.js";
import { ensureBuild, login, type Running, startBareHttp, startBarePost, startGlimpse } from "./server.js";
import { measureSql } from "./sql.js";
import { buildCopy, measureViews } from "./views.js";

process.chdir(resolve(dirname(fileURLToPath(import.meta.url)), ".."));

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "10000,100000" },
    duration: { type: "string", default: "10" },
    keep: { type: "boolean", default: false },
    "no-save": { type: "boolean", default: false },
    // The heap cap npm start and the Docker image use: live data is ~35 MB, an uncapped heap just grows.
    "server-node-options": { type: "string", default: "--max-old-space-size=128" },
    "server-profile": { type: "string" },
    // The columnar engine's memory limit, in the bench and in the server under test (the server's default).
    "stats-memory-mb": { type: "string", default: "96" },
    "stats-threads": { type: "string", default: "2" },
    // "ingest": the ingestion scenario alone, quickly (no query timings, views or page scenarios);
    // "abuse": the attacks alone, the same way; "views": the columnar engine's views alone.
    only: { type: "string", default: "all" },
    engine: { type: "string", default: "columnar" },
  },
});
const sizes = values.events.split(",").map((s) => Number(s.trim().replace(/_/g, "")));
const duration = Number(values.duration);
const everything = values.only === "all";
const attacks = everything || values.only === "abuse";
const ingestion = everything || values.only === "ingest";
const viewsOnly = values.only === "views";
const clickhouse = values.engine === "clickhouse";
if (!["columnar", "clickhouse"].includes(values.engine) || (clickhouse && !viewsOnly)) {
  process.stderr.write("--engine is columnar or clickhouse; clickhouse is measured with --only views\n");
  process.exit(2);
}
if (!sizes.length || sizes.some((s) => !Number.isInteger(s) || s < 100) || !(duration >= 1) || !["all", "ingest", "abuse", "views"].includes(values.only)) {
  process.stderr.write("Usage: npm run bench -- --events 10000,100000,1000000 --duration 10 [--only ingest|abuse|views] [--keep] [--no-save]\n");
  process.exit(2);
}
const databaseUrl = process.env.DATABASE_URL || undefined;
const round = (v: number) => Math.round(v * 100) / 100;

/** Whatever is running or allocated right now, undone on exit or Ctrl-C. */
const cleanups = new Set<() => Promise<void>>();
async function cleanUp() {
  for (const undo of [...cleanups].reverse()) await undo().catch((e) => log(`cleanup: ${e instanceof Error ? e.message : e}`));
  cleanups.clear();
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => void cleanUp().finally(() => process.exit(130)));
}

async function started(start: () => Promise<Running>): Promise<Running> {
  const running = await start();
  cleanups.add(running.stop);
  return running;
}

async function stopped(running: Running) {
  cleanups.delete(running.stop);
  await running.stop();
}

async function benchSize(events: number): Promise<{ size: SizeResult; scratch: Scratch }> {
  const began = performance.now();
  const loadBefore = loadavg()[0]!;
  log(`\n== ${events.toLocaleString("en")} events on ${databaseUrl ? "PostgreSQL" : "PGlite"} ==`);
  const scratch = await createScratch(String(events), databaseUrl);
  // The columnar copy lives beside the scratch database and goes with it.
  const statsFile = resolve(`bench/.scratch/${process.pid}-${events}.duckdb`);
  const drop = async () => {
    if (!values.keep) for (const file of [statsFile, `${statsFile}.wal`, `${statsFile}.tmp`]) rmSync(file, { recursive: true, force: true });
    await (values.keep ? scratch.close() : scratch.drop());
  };
  cleanups.add(drop);
  try {
    const fx = await createFixtures(scratch.db);
    const load = await loadTraffic(scratch, fx.site, events, new Date());
    const memoryMb = Number(values["stats-memory-mb"]);
    const threads = Number(values["stats-threads"]);
    let sql: SizeResult["sql"];
    let engine: SizeResult["engine"];
    if (viewsOnly) {
      log(`  dashboard views, ${clickhouse ? "ClickHouse" : "columnar"} engine`);
      const server = clickhouse ? await clickhouseServer(events) : null;
      try {
        engine = await measureViews(scratch.db, fx, statsFile, memoryMb, threads, server?.url);
      } finally {
        if (server) {
          cleanups.delete(server.stop);
          await server.stop();
        }
      }
      await scratch.close();
      const loadAverage: [number, number] = [round(loadBefore), round(loadavg()[0]!)];
      return { scratch, size: { requestedEvents: events, load, engine, views: engine.views, seconds: (performance.now() - began) / 1000, loadAverage } };
    }
    if (everything) {
      log("  query timings");
      sql = await measureSql(scratch.db, fx);
      log("  dashboard views, columnar engine");
      engine = await measureViews(scratch.db, fx, statsFile, memoryMb, threads);
    } else {
      log("  columnar copy");
      await buildCopy(scratch.db, fx, statsFile, memoryMb, threads);
    }
    await scratch.close();
    log("  production server");
    const serverOptions = values["server-node-options"];
    const serverEnv = { ...scratch.serverEnv, STATS_FILE: statsFile, STATS_MEMORY_MB: String(memoryMb), STATS_THREADS: String(threads) };
    const server = await started(() => startGlimpse({ ...serverEnv, ...(serverOptions ? { NODE_OPTIONS: serverOptions } : {}) }, values["server-profile"]));
    let run: Partial<Awaited<ReturnType<typeof runServerScenarios>>> = {};
    let abuse: Awaited<ReturnType<typeof runAbuseScenarios>> | undefined;
    let ingest: Awaited<ReturnType<typeof runIngest>> | undefined;
    let serverPeakRssMb: number | undefined;
    let statsProcessPeakRssMb: number;
    // Counts the site's rows, over a connection of the bench's own where the database allows one.
    const observer = scratch.observer();
    try {
      const counter = eventCounter(observer?.db ?? null, server, fx);
      const cookie = attacks ? await login(server.url, fx.email, fx.password) : "";
      if (everything) {
        run = await runServerScenarios(server, fx, cookie, duration);
        serverPeakRssMb = server.rss.overallPeak();
      }
      if (attacks) {
        log("  one client attacking, others measured");
        abuse = await runAbuseScenarios(server, fx, cookie, duration, counter);
      }
      // Last: it adds rows, which the scenarios above must not see.
      if (ingestion) {
        log("  ingestion");
        ingest = await runIngest(server, fx, counter, duration);
      }
      serverPeakRssMb ??= server.rss.overallPeak();
      statsProcessPeakRssMb = server.rss.childrenPeak();
    } finally {
      await observer?.close();
      await stopped(server);
    }
    // After everything else: it adds thousands of visits to today.
    let burst: BurstFigures | undefined;
    if (everything) {
      log("  views right after a burst of traffic");
      const reopened = createDb(scratch.kind === "postgres" ? { url: scratch.serverEnv.DATABASE_URL! } : { dataDir: scratch.serverEnv.DATA_DIR! });
      try {
        burst = await measureBurst(reopened, fx, statsFile, memoryMb, threads);
      } finally {
        await reopened.destroy();
      }
    }
    const seconds = (performance.now() - began) / 1000;
    const loadAverage: [number, number] = [round(loadBefore), round(loadavg()[0]!)];
    return {
      scratch,
      size: { requestedEvents: events, load, sql, engine, views: engine?.views, ...run, abuse, ingest, burst, serverPeakRssMb, statsProcessPeakRssMb, seconds, loadAverage },
    };
  } finally {
    cleanups.delete(drop);
    await drop();
    if (values.keep) log(`  kept the scratch database and its columnar copy: ${JSON.stringify({ ...scratch.serverEnv, STATS_FILE: statsFile })}`);
  }
}

/** CLICKHOUSE_URL, or a `clickhouse:local` of the run's own (a fresh folder and database per size). */
async function clickhouseServer(events: number): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.CLICKHOUSE_URL) return { url: process.env.CLICKHOUSE_URL.replace(/\/[^/]*$/, `/glimpse_bench_${process.pid}_${events}`), stop: async () => {} };
  const folder = resolve(`bench/.scratch/${process.pid}-${events}-clickhouse`);
  const child = spawn(process.execPath, ["scripts/clickhouse-local.mjs", "--port", "0", "--path", folder], { stdio: ["ignore", "pipe", "inherit"] });
  const stop = async () => {
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    await exited;
    rmSync(folder, { recursive: true, force: true });
  };
  cleanups.add(stop);
  const port = await new Promise<number>((resolvePort, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      const match = /listening on http:\/\/[^:]+:(\d+)/.exec(chunk.toString());
      if (match) resolvePort(Number(match[1]));
    });
    child.once("exit", (code) => reject(new Error(`clickhouse:local ended (${code})`)));
  });
  log(`  clickhouse:local on port ${port}`);
  return { url: `http://default@127.0.0.1:${port}/glimpse_bench`, stop };
}

async function main() {
  const began = performance.now();
  if (!viewsOnly && ensureBuild()) log("Built.");
  let bare: RunResult["bare"];
  if (everything) {
    log("== ceiling: bare node:http ==");
    const bareServer = await started(startBareHttp);
    bare = await runBare(bareServer, duration).finally(() => stopped(bareServer));
    log(`  p50 ${bare.p50} ms, p95 ${bare.p95} ms, ${bare.rps} req/s`);
  }
  let barePost: RunResult["barePost"];
  if (ingestion) {
    log("== ceiling: bare node:http answering POST with 202 ==");
    const barePostServer = await started(startBarePost);
    barePost = await runBarePost(barePostServer, BENCH_DOMAIN, duration).finally(() => stopped(barePostServer));
    log(`  p50 ${barePost.p50} ms, p99 ${barePost.p99} ms, ${barePost.rps} req/s`);
  }

  const results: SizeResult[] = [];
  let kind: Scratch["kind"] = databaseUrl ? "postgres" : "pglite";
  let version = "";
  for (const events of sizes) {
    const { size, scratch } = await benchSize(events);
    kind = scratch.kind;
    version = scratch.version;
    results.push(size);
  }
  const run: RunResult = {
    ...revision(),
    date: new Date().toISOString(),
    machine: machine(kind, version),
    options: { events: sizes, duration, connections: CONNECTIONS, serverNodeOptions: values["server-node-options"], only: values.only, ...(clickhouse && { engine: "clickhouse" }) },
    bare,
    barePost,
    sizes: results,
    totalSeconds: Math.round((performance.now() - began) / 100) / 10,
  };
  if (!values["no-save"]) {
    appendResults(run);
    writeDoc();
  }
  process.stdout.write(`\n${render(run)}\n`);
  log(`\n${values["no-save"] ? "Not saved (--no-save)" : "Appended to bench/results.json; tables written to docs/performance.md"}. Total ${run.totalSeconds} s.`);
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    process.stderr.write(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    await cleanUp();
    process.exit(1);
  },
);
