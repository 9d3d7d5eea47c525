import { spawn } from "node:child_process";
import { createServer, request, type Server } from "node:http";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../db/client.js";
import { anotherInstance, databaseUrl, freshDb } from "../../../test/support/db.js";
import { type LocalClickHouse, startLocalClickHouse } from "../../../test/support/clickhouse.js";
import { UA } from "../../../test/support/ingest.js";
import { ingestEvent } from "../../../test/support/reference-ingest.js";
import { ensureUser } from "../../auth/users.js";
import { createGoal } from "../../goals/goals.js";
import type { Filter } from "../../schemas/filters.js";
import type { Period } from "../../schemas/stats.js";
import { createSite } from "../../sites/sites.js";
import { invalidateStats } from "../cache.js";
import type { StatsSite } from "../dashboard.js";
import { dashboardAt } from "../../../test/support/services.js";
import type { StatsEngine } from "../engine.js";
import { sourceEngine } from "../source-engine.js";
import { type ClickHouseEngine, openClickHouseEngine, REFUSED_REASON } from "./engine.js";
import { Store } from "./store.js";
import { ConfigError, parseEnv } from "../../env.js";
import { checkHealth } from "../../system/health.js";
import { startStatsEngine } from "../engines.js";
import { unsettledFrom } from "./sync.js";

/**
 * The ClickHouse engine against a real ClickHouse (chdb behind `npm run clickhouse:local`, through
 * the official client): copies made once under the lease, nothing half-visible after a death, the
 * tables answering while ClickHouse is away, and copying resumed when it is back. Its figures for
 * random views are compared with the source's in ../engines.test.ts.
 */

const NOW = new Date("2026-03-15T12:00:00Z");
const local = await startLocalClickHouse("glimpse_engine_test");
const available = "url" in local ? (local as LocalClickHouse) : null;
if (!available) console.warn(`ClickHouse engine tests skipped: clickhouse:local could not start (${(local as { unavailable: string }).unavailable})`);

let db: Db;
let user: { id: string };
const engines: ClickHouseEngine[] = [];
const lines: string[] = [];

async function open(options: { leaseMs?: number; holder?: string; on?: Db; copySizes?: { perRead: number; perInsert: number } } = {}) {
  const engine = await openClickHouseEngine(options.on ?? db, { url: available!.url, log: (line) => lines.push(line), timeoutMs: 5_000, ...options });
  engines.push(engine);
  return engine;
}

/** A site with three weeks of traffic: visitors with one or more visits, goals, and today. */
async function seededSite(domain: string, timezone: string): Promise<StatsSite> {
  const { site } = await createSite(db, user.id, { domain, timezone });
  await createGoal(db, site.id, { kind: "event", eventName: "Signup" });
  await createGoal(db, site.id, { kind: "page", pagePath: "/docs*" });
  const pages = ["/", "/pricing", "/docs", "/docs/install", "/blog/100%", "/café", "/İstanbul"];
  for (let i = 0; i < 120; i++) {
    const at = new Date(Date.parse("2026-02-22T00:00:00Z") + ((i * 7919) % (21 * 86_400)) * 1000 + i);
    const who = { ip: `198.51.100.${1 + (i % 37)}`, userAgent: [UA.windowsChrome, UA.iphoneSafari, UA.androidChrome][i % 3]!, country: ["DE", "US", "NZ", ""][i % 4]! };
    const page = pages[i % pages.length]!;
    await ingestEvent(db, { name: "pageview", url: `https://${domain}${page}${i % 5 === 0 ? "?utm_source=news" : ""}`, domain, referrer: i % 3 === 0 ? "https://www.google.com/" : "" }, { ...who, now: at });
    if (i % 4 === 0) await ingestEvent(db, { name: "pageview", url: `https://${domain}/docs`, domain, referrer: "" }, { ...who, now: new Date(at.getTime() + 60_000) });
    if (i % 6 === 0) await ingestEvent(db, { name: "Signup", url: `https://${domain}/signup`, domain, referrer: "" }, { ...who, now: new Date(at.getTime() + 90_000) });
  }
  // Visitors back three hours later: two visits of one visitor on one day, six times (a day read
  // in parts then holds some of them in different reads).
  for (let visitor = 0; visitor < 6; visitor++) {
    for (const hours of [0, 3]) {
      const now = new Date(Date.parse("2026-03-01T09:00:00Z") + (hours * 60 + visitor) * 60_000);
      await ingestEvent(db, { name: "pageview", url: `https://${domain}/pricing`, domain, referrer: "" }, { ip: `192.0.2.${70 + visitor}`, userAgent: UA.iphoneSafari, country: "FR", now });
    }
  }
  await ingestEvent(db, { name: "pageview", url: `https://${domain}/`, domain, referrer: "" }, { ip: "203.0.113.9", userAgent: UA.windowsChrome, country: "JP", now: new Date(NOW.getTime() - 60_000) });
  return { id: site.id, domain: site.domain, timezone };
}

const VIEWS: { period: Period; filters: Filter[]; segmentFilters: Filter[] }[] = [
  { period: { key: "30d" }, filters: [], segmentFilters: [] },
  { period: { key: "7d" }, filters: [{ dimension: "country", operator: "is", values: ["DE", "NZ"] }], segmentFilters: [] },
  { period: { key: "custom", from: "2026-02-22", to: "2026-03-02" }, filters: [{ dimension: "page", operator: "contains", values: ["DOC", "%"] }], segmentFilters: [] },
  { period: { key: "30d" }, filters: [{ dimension: "goal", operator: "is", values: ["Signup"] }], segmentFilters: [{ dimension: "device", operator: "is_not", values: ["Mobile"] }] },
  { period: { key: "today" }, filters: [], segmentFilters: [] },
  // Case folds as in PostgreSQL, İ included (ClickHouse alone lowers it to two characters).
  { period: { key: "30d" }, filters: [{ dimension: "page", operator: "contains", values: ["istanbul"] }], segmentFilters: [] },
  { period: { key: "30d" }, filters: [{ dimension: "page", operator: "contains", values: ["İSTANBUL", "CAFÉ"] }], segmentFilters: [] },
];

const view = (engine: StatsEngine, site: StatsSite, input: (typeof VIEWS)[number], now = NOW) => dashboardAt(db, site, { ...input, now, cache: false, limit: 100 }, engine);

async function expectSourceFigures(engine: StatsEngine, site: StatsSite, now = NOW) {
  for (const input of VIEWS) expect(await view(engine, site, input, now)).toEqual(await view(sourceEngine(db), site, input, now));
}

/** What ClickHouse holds of a site, every row counted (listed copies or not). */
async function held(siteId: string) {
  const store = new Store({ url: available!.url });
  try {
    const [row] = await store.rows(`SELECT count() AS visits, sum(length(pages) + length(names)) AS events FROM visits WHERE site_id = {site:String}`, { site: siteId });
    return { visits: Number(row?.visits), events: Number(row?.events) };
  } finally {
    await store.close();
  }
}

/** What the tables hold of the site's finished days. */
async function expected(site: StatsSite) {
  const through = unsettledFrom(site, NOW);
  const visits = await db.selectFrom("visits").select((eb) => eb.fn.countAll<number>().as("n")).where("site_id", "=", site.id).where("day", "<", through).executeTakeFirstOrThrow();
  const events = await db.selectFrom("events").select((eb) => eb.fn.countAll<number>().as("n")).where("site_id", "=", site.id).where("day", "<", through).executeTakeFirstOrThrow();
  return { visits: Number(visits.n), events: Number(events.n) };
}

type Mode = "pass" | "hang" | "trickle" | "refuse";

/**
 * ClickHouse behind a switch: passing requests on, taking them and never answering (a server that
 * hangs, a network that drops packets), starting an answer and never finishing it, or refusing
 * the credentials as ClickHouse does.
 */
async function proxyTo(target: string): Promise<{ url: string; mode: Mode; close(): Promise<void> }> {
  const to = new URL(target);
  const held = new Set<import("node:http").ServerResponse>();
  const state = { mode: "pass" as Mode };
  const server: Server = createServer((req, res) => {
    if (state.mode === "hang") {
      held.add(res);
      return;
    }
    if (state.mode === "trickle") {
      // Headers and the start of an answer, then nothing.
      req.resume();
      res.writeHead(200, { "Content-Type": "application/x-ndjson", "X-ClickHouse-Format": "JSONEachRow" });
      res.write('{"copy":');
      held.add(res);
      return;
    }
    if (state.mode === "refuse") {
      req.resume();
      res.writeHead(516, { "Content-Type": "text/plain", "X-ClickHouse-Exception-Code": "516" });
      res.end("Code: 516. DB::Exception: glimpse: Authentication failed: password is incorrect, or there is no user with such name. (AUTHENTICATION_FAILED) (version 26.7.1.1)\n");
      return;
    }
    const upstream = request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target);
  url.port = String(port);
  return {
    url: url.toString(),
    get mode() {
      return state.mode;
    },
    set mode(mode) {
      state.mode = mode;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe.skipIf(!available)("the ClickHouse engine", () => {
  beforeAll(async () => {
    db = await freshDb();
    user = await ensureUser(db, "clickhouse@glimpse.test", "clickhouse-password-1");
  }, 300_000);

  afterAll(async () => {
    for (const engine of engines) await engine.close();
  });

  it("copies a site's finished days once and answers every view with the tables' figures", async () => {
    const site = await seededSite("copied.test", "Asia/Kolkata");
    const engine = await open();
    await expectSourceFigures(engine, site);
    await engine.sync(site, NOW);
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
    await expectSourceFigures(engine, site);
    expect(await held(site.id)).toEqual(await expected(site));
    // Synced again: nothing new, nothing twice.
    await engine.sync(site, NOW);
    expect(await held(site.id)).toEqual(await expected(site));
    expect(engine.health()).toEqual({ state: "ok" });
    expect(lines.filter((line) => line.includes("could not answer") || line.includes("cannot be reached"))).toEqual([]);
  });

  it("copies days that take several reads into several inserts, each visit and event once", async () => {
    const site = await seededSite("split.test", "Europe/Berlin");
    // About 8 events a day: each day is read in three ranges of session ids, and every few reads
    // go to ClickHouse in one insert while the next read runs.
    const engine = await open({ copySizes: { perRead: 3, perInsert: 10 } });
    await engine.sync(site, NOW);
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
    expect(await held(site.id)).toEqual(await expected(site));
    // A visit is marked as one of its visitor's several that day whichever read of the day held it.
    const store = new Store({ url: available!.url });
    try {
      const copied = await store.rows(`SELECT session_id, multi FROM visits WHERE site_id = {site:String} ORDER BY session_id`, { site: site.id });
      const { rows } = await sql<{ session_id: number; multi: number }>`
        select session_id, (count(*) over (partition by day, visitor_id) > 1)::int as multi from visits
        where site_id = ${site.id} and day < ${unsettledFrom(site, NOW)} order by session_id`.execute(db);
      expect(copied.map((row) => [Number(row.session_id), Number(row.multi)])).toEqual(rows.map((row) => [Number(row.session_id), row.multi]));
      expect(rows.filter((row) => row.multi === 1).length).toBeGreaterThanOrEqual(12);
    } finally {
      await store.close();
    }
    await expectSourceFigures(engine, site);
  });

  it("copies each event once when two instances race for the same site", async () => {
    const site = await seededSite("raced.test", "America/New_York");
    const [a, b] = [await open(), await open({ on: anotherInstance(db) ?? db })];
    await Promise.all([a.sync(site, NOW), b.sync(site, NOW), a.sync(site, NOW), b.sync(site, NOW)]);
    await Promise.all([a.sync(site, NOW), b.sync(site, NOW)]);
    expect(await held(site.id)).toEqual(await expected(site));
    await expectSourceFigures(a, site);
    await expectSourceFigures(b, site);
  });

  it("shows nothing of a copy whose instance died on the way, and another instance finishes it", async () => {
    const site = await seededSite("killed.test", "UTC");
    const dying = await open({ leaseMs: 5_000 });
    let written!: () => void;
    const halfway = new Promise<void>((resolve) => (written = resolve));
    let kill!: (error: Error) => void;
    // The instance stops for good between writing a copy's rows and listing it (as a SIGKILL would leave it).
    const death = dying.sync(site, NOW, () => {
      written();
      return new Promise((_, reject) => (kill = reject));
    });
    try {
      await halfway;
      const other = await open({ leaseMs: 5_000 });
      // Its lease holds the site until it runs out.
      await other.sync(site, NOW);
      expect(await other.copiedThrough(site.id)).toBeNull();
      expect((await held(site.id)).visits).toBeGreaterThan(0);
      await expectSourceFigures(other, site);
      for (let i = 0; i < 40 && (await other.copiedThrough(site.id)) === null; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        await other.sync(site, NOW);
      }
      expect(await other.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
      expect(await held(site.id)).toEqual(await expected(site));
      await expectSourceFigures(other, site);
    } finally {
      kill?.(new Error("killed"));
      await death.catch(() => {});
    }
    expect(await held(site.id)).toEqual(await expected(site));
  }, 120_000);

  // PGlite lives in this process: another process cannot open it, so this needs PostgreSQL.
  it.skipIf(!process.env.DATABASE_URL)("leaves nothing visible when an instance's process is killed mid-copy (SIGKILL), and another finishes", async () => {
    const site = await seededSite("sigkill.test", "Asia/Kolkata");
    const dbUrl = databaseUrl(db)!;
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "../../../test/support/clickhouse-copier.ts"), dbUrl, available!.url, site.id, site.timezone, NOW.toISOString()], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("written") && resolve());
      child.once("exit", (code) => reject(new Error(`the copier ended (${code}) before writing`)));
    });
    child.kill("SIGKILL");
    await exited;
    const other = await open({ leaseMs: 1_500 });
    expect((await held(site.id)).visits).toBeGreaterThan(0);
    expect(await other.copiedThrough(site.id)).toBeNull();
    await expectSourceFigures(other, site);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    await other.sync(site, NOW);
    expect(await other.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
    expect(await held(site.id)).toEqual(await expected(site));
    await expectSourceFigures(other, site);
  }, 120_000);

  it("follows a rewrite of finished days once the site's stats version moves", async () => {
    const site = await seededSite("rewritten.test", "Pacific/Auckland");
    const engine = await open();
    await engine.sync(site, NOW);
    await ingestEvent(db, { name: "pageview", url: `https://${site.domain}/imported`, domain: site.domain, referrer: "" }, { ip: "192.0.2.50", userAgent: UA.windowsChrome, country: "FR", now: new Date("2026-03-05T10:00:00Z") });
    await invalidateStats(db, site.id);
    await expectSourceFigures(engine, site);
    await engine.sync(site, NOW);
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
    await expectSourceFigures(engine, site);
    const pages = (await view(engine, site, VIEWS[0]!)).breakdowns.find((b) => b.dimension === "page")!;
    expect(pages.rows.some((r) => r.value === "/imported")).toBe(true);
  });

  it("answers from the tables while ClickHouse is away, says so, and copies where it stopped once it is back", async () => {
    const site = await seededSite("away.test", "UTC");
    const engine = await open();
    await engine.sync(site, NOW);
    const tomorrow = new Date(NOW.getTime() + 86_400_000);
    await available!.stop();
    try {
      await expectSourceFigures(engine, site);
      await expectSourceFigures(engine, site, tomorrow);
      expect(engine.health().state).toBe("degraded");
      expect(lines.some((line) => line.includes("ClickHouse cannot be used"))).toBe(true);
      await expect(engine.sync(site, tomorrow)).rejects.toThrow();
    } finally {
      await available!.start();
    }
    for (let i = 0; i < 40 && engine.health().state !== "ok"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await engine.totals({ site, from: "2026-03-01", to: "2026-03-02", filters: [], goals: [], now: NOW, keep: "none", version: 0, hours: false }).catch(() => {});
    }
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(engine.health()).toEqual({ state: "ok" });
    expect(lines.some((line) => line.includes("answers again"))).toBe(true);
    await engine.sync(site, tomorrow);
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, tomorrow));
    await expectSourceFigures(engine, site, tomorrow);
  }, 120_000);

  it("creates its tables again and copies again when ClickHouse comes back without them", async () => {
    const site = await seededSite("wiped.test", "America/New_York");
    const engine = await open();
    await engine.sync(site, NOW);
    await available!.stop();
    rmSync(available!.path, { recursive: true, force: true });
    await available!.start();
    await expectSourceFigures(engine, site);
    await engine.sync(site, NOW);
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
    expect(await held(site.id)).toEqual(await expected(site));
    await expectSourceFigures(engine, site);
  }, 120_000);

  it("neither starts nor answers a view slowly when ClickHouse takes connections and never answers", async () => {
    const site = await seededSite("hung.test", "UTC");
    const proxy = await proxyTo(available!.url);
    try {
      proxy.mode = "hang";
      const began = Date.now();
      const engine = await openClickHouseEngine(db, { url: proxy.url, log: (line) => lines.push(line), answerMs: 1_500 });
      engines.push(engine);
      expect(Date.now() - began).toBeLessThan(4_000);
      expect(engine.health()).toEqual({ state: "degraded", reason: "No answer within 2 s" });
      await expectSourceFigures(engine, site);
      // Answering, then hanging while a view reads the copy: the view gives up after answerMs and the tables answer.
      proxy.mode = "pass";
      for (let i = 0; i < 40 && engine.health().state !== "ok"; i++) await new Promise((resolve) => setTimeout(resolve, 250));
      await engine.sync(site, NOW);
      for (const mode of ["hang", "trickle"] as const) {
        proxy.mode = "pass";
        for (let i = 0; i < 40 && engine.health().state !== "ok"; i++) await new Promise((resolve) => setTimeout(resolve, 250));
        expect(engine.health()).toEqual({ state: "ok" });
        proxy.mode = mode;
        const viewBegan = Date.now();
        await expectSourceFigures(engine, site);
        expect(Date.now() - viewBegan).toBeLessThan(6_000);
        expect(engine.health().state).toBe("degraded");
      }
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it("asks again when ClickHouse refused it at start, and reads the copy once it accepts", async () => {
    const site = await seededSite("refused.test", "UTC");
    const proxy = await proxyTo(available!.url);
    try {
      proxy.mode = "refuse";
      const engine = await openClickHouseEngine(db, { url: proxy.url, log: (line) => lines.push(line) });
      engines.push(engine);
      expect(engine.health()).toEqual({ state: "degraded", reason: REFUSED_REASON });
      expect(lines.some((line) => line.includes("Authentication failed"))).toBe(true);
      await expectSourceFigures(engine, site);
      proxy.mode = "pass";
      for (let i = 0; i < 60 && engine.health().state !== "ok"; i++) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(engine.health()).toEqual({ state: "ok" });
      await engine.sync(site, NOW);
      expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
      // Refusing again while it runs (a password changed on the server): /healthz says so within a probe.
      proxy.mode = "refuse";
      for (let i = 0; i < 60 && engine.health().state === "ok"; i++) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(engine.health()).toEqual({ state: "degraded", reason: REFUSED_REASON });
      await expectSourceFigures(engine, site);
    } finally {
      await proxy.close();
    }
  }, 120_000);

  it("is chosen by STATS_ENGINE=clickhouse, and /healthz says when ClickHouse is away", async () => {
    expect(() => parseEnv({ STATS_ENGINE: "clickhouse" })).toThrow(ConfigError);
    expect(() => parseEnv({ STATS_ENGINE: "clickhouse" })).toThrow(/CLICKHOUSE_URL: is required with STATS_ENGINE=clickhouse/);
    // Its own database, so the background copy of every site (on today's date) counts apart.
    const config = parseEnv({ STATS_ENGINE: "clickhouse", CLICKHOUSE_URL: available!.url.replace(/\/[^/]*$/, "/glimpse_health_test") });
    const said: string[] = [];
    const started = await startStatsEngine(db, config, (line) => said.push(line));
    const services = { db, statsHealth: started.health };
    const engine = started.engine;
    try {
      expect(said.some((line) => line.startsWith("Stats: shared ClickHouse copy at 127.0.0.1:"))).toBe(true);
      expect(said.join("\n")).not.toContain("secret");
      expect(await checkHealth(services)).toEqual({ db: "ok", stats: "ok" });
      await available!.stop();
      try {
        const site = await seededSite("health.test", "UTC");
        await expectSourceFigures(engine, site);
        const health = await checkHealth(services);
        expect(health).toMatchObject({ db: "ok", stats: "degraded" });
        expect(health.statsReason).toMatch(/ECONN|connect|socket/i);
      } finally {
        await available!.start();
      }
      for (let i = 0; i < 60 && (await checkHealth(services)).stats !== "ok"; i++) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await checkHealth(services)).toEqual({ db: "ok", stats: "ok" });
    } finally {
      await started.close();
    }
  }, 120_000);
});
