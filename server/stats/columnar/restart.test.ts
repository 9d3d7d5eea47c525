import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, UnknownRow } from "kysely";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../db/client.js";
import { ensureUser } from "../../auth/users.js";
import { createGoal } from "../../goals/goals.js";
import { writeBatch } from "../../ingest/batch.js";
import { prepareEvent } from "../../ingest/pipeline.js";
import type { PreparedEvent } from "../../ingest/model.js";
import { UA } from "../../../test/support/ingest.js";
import type { Filter } from "../../schemas/filters.js";
import type { Period } from "../../schemas/stats.js";
import { createSite } from "../../sites/sites.js";
import { freshDb } from "../../../test/support/db.js";
import { invalidateStats } from "../cache.js";
import { type StatsSite } from "../dashboard.js";
import { sourceEngine } from "../source-engine.js";
import { type ColumnarEngine, openColumnarEngine } from "./engine.js";
import { unsettledFrom } from "./sync.js";
import { dashboardAt, servicesFor } from "../../../test/support/services.js";

/**
 * The column store's process can end at any moment (a query beyond every limit, the OOM killer,
 * an operator). Whatever it was doing, a view gives the tables' figures: never the answer of a
 * process that holds less than the one the view planned with (an in-memory copy starts empty).
 * The process is killed at chosen points, seen from the database queries the engine makes.
 */

const NOW = new Date("2026-03-15T12:00:00Z");
const PAGES = ["/", "/pricing", "/docs", "/blog/hello", "/signup"];

let db: Db;
let site: StatsSite;
const engines: ColumnarEngine[] = [];

/** Runs `act` once, when the engine's database answers a query whose rows `matches`, before the engine sees them. */
class KillPoint implements KyselyPlugin {
  private armed: { matches: (rows: UnknownRow[]) => boolean; act: () => Promise<void> } | null = null;
  fired = false;

  arm(matches: (rows: UnknownRow[]) => boolean, act: () => Promise<void>) {
    this.armed = { matches, act };
    this.fired = false;
  }

  transformQuery(args: PluginTransformQueryArgs) {
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const armed = this.armed;
    if (armed?.matches(args.result.rows)) {
      this.armed = null;
      await armed.act();
      this.fired = true;
    }
    return args.result;
  }
}

async function send(events: { at: number; ip: string; name: string; page: string; country: string }[]) {
  events.sort((a, b) => a.at - b.at);
  for (let i = 0; i < events.length; i += 500) {
    const batch: PreparedEvent[] = [];
    for (const e of events.slice(i, i + 500)) {
      const payload = { name: e.name, url: `https://${site.domain}${e.page}`, domain: site.domain, referrer: "" };
      batch.push((await prepareEvent(servicesFor(db), payload, { ip: e.ip, userAgent: i % 2 ? UA.iphoneSafari : UA.windowsChrome, country: e.country, now: new Date(e.at) }))!);
    }
    await writeBatch(db, batch);
  }
}

beforeAll(async () => {
  db = await freshDb();
  const user = await ensureUser(db, "restart@glimpse.test", "restart-password-1");
  const created = (await createSite(db, user.id, { domain: "restart.test", timezone: "UTC" })).site;
  site = { id: created.id, domain: created.domain, timezone: "UTC" };
  await createGoal(db, site.id, { kind: "event", eventName: "Signup" });
  await createGoal(db, site.id, { kind: "page", pagePath: "/docs*" });
  const events = [];
  for (let day = 14; day >= 0; day--) {
    for (let v = 0; v < 30; v++) {
      const at = NOW.getTime() - day * 86_400_000 - (v + 1) * 120_000;
      const who = { ip: `192.0.2.${v}`, country: ["DE", "US", "FR"][v % 3]! };
      events.push({ ...who, at, name: "pageview", page: PAGES[(v + day) % 5]! }, { ...who, at: at + 30_000, name: "pageview", page: PAGES[(v + day + 2) % 5]! });
      if ((v + day) % 4 === 0) events.push({ ...who, at: at + 40_000, name: "Signup", page: "/signup" });
    }
  }
  await send(events);
}, 120_000);

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
});

/** An engine on an in-memory copy, every finished day copied, whose database queries `point` watches. */
async function engineWith(point: KillPoint, syncedAt: Date | null = NOW, answerMs?: number) {
  const engine = await openColumnarEngine(db.withPlugin(point), { path: "memory", memoryMb: 128, threads: 1, answerMs });
  engines.push(engine);
  if (syncedAt) await engine.sync(site, syncedAt);
  return engine;
}

/** Kills the column store's process and waits until the engine has seen it end. */
async function kill(engine: ColumnarEngine) {
  const pid = engine.processId()!;
  process.kill(pid, "SIGKILL");
  while (engine.processId() === pid) await new Promise((resolve) => setTimeout(resolve, 5));
}

const view = (engine: ColumnarEngine | null, period: Period, filters: Filter[] = []) =>
  dashboardAt(db, site, { period, filters, now: NOW, limit: 100 }, engine ?? sourceEngine(db));

const onlyStatsVersion = (rows: UnknownRow[]) => rows.length === 1 && Object.keys(rows[0]!).join() === "stats_version";

describe("a column store process that ends during a view", () => {
  it("is not asked for figures after the view planned with the one before it", async () => {
    const point = new KillPoint();
    const engine = await engineWith(point);
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
    const expected = await view(null, { key: "30d" });
    expect(expected.totals.visitors).toBeGreaterThan(300);
    // The view has read what the copy holds; the process ends before the figures are read.
    point.arm(onlyStatsVersion, async () => {
      await engine.copiedThrough(site.id);
      await kill(engine);
    });
    expect(await view(engine, { key: "30d" })).toEqual(expected);
    expect(point.fired).toBe(true);
    // Nothing wrong was kept for the next view, and the copy comes back.
    await engine.sync(site, NOW);
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
    expect(await view(engine, { key: "30d" })).toEqual(expected);
  });

  it("gives the tables' figures under filters too, where nothing is kept", async () => {
    const point = new KillPoint();
    const engine = await engineWith(point);
    const filters: Filter[] = [{ dimension: "country", operator: "is", values: ["DE", "FR"] }];
    const expected = await view(null, { key: "7d" }, filters);
    point.arm(onlyStatsVersion, async () => {
      await engine.copiedThrough(site.id);
      await kill(engine);
    });
    expect(await view(engine, { key: "7d" }, filters)).toEqual(expected);
    expect(point.fired).toBe(true);
  });
});

/**
 * The sync is held inside a database read; the embedded database has one connection, so the view
 * could not go on meanwhile: this interleaving is staged on PostgreSQL only (the engine's code does
 * not depend on the database).
 */
describe.runIf(process.env.DATABASE_URL)("a site's copy dropped during a view", () => {
  it("is not read for figures once its rows are gone, while they are copied again", async () => {
    const point = new KillPoint();
    const engine = await engineWith(point);
    const expected = await view(null, { key: "30d" });
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let dropped = () => {};
    const copying = new Promise<void>((resolve) => (dropped = resolve));
    let sync: Promise<void> = Promise.resolve();
    // The view has read what the copy holds; then finished days are rewritten (an import, a late
    // event), and a sync drops the site's rows and starts copying them again, held on its way.
    point.arm(onlyStatsVersion, async () => {
      await engine.copiedThrough(site.id);
      await invalidateStats(db, site.id);
      point.arm(
        (rows) => rows.length > 0 && Object.keys(rows[0]!).sort().join() === "day,events",
        async () => {
          dropped();
          await held;
        },
      );
      sync = engine.sync(site, NOW);
      await copying;
    });
    try {
      expect(await view(engine, { key: "30d" })).toEqual(expected);
    } finally {
      release();
      await sync;
    }
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
    expect(await view(engine, { key: "30d" })).toEqual(expected);
  });
});

describe("a column store process that ends during a sync", () => {
  it("does not let the copy claim days that the new process never received", async () => {
    const point = new KillPoint();
    const early = new Date(NOW.getTime() - 6 * 86_400_000);
    const engine = await engineWith(point, early);
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, early));
    // The sync has read how far the copy goes; the process ends before the next days are written.
    point.arm(
      (rows) => rows.length > 0 && Object.keys(rows[0]!).sort().join() === "day,events",
      () => kill(engine),
    );
    await engine.sync(site, NOW).catch(() => {});
    expect(point.fired).toBe(true);
    const expected = await view(null, { key: "30d" });
    expect(await view(engine, { key: "30d" })).toEqual(expected);
    await engine.sync(site, NOW);
    expect(await engine.copiedThrough(site.id)).toBe(unsettledFrom(site, NOW));
    expect(await view(engine, { key: "30d" })).toEqual(expected);
  });
});

describe("a column store process that ends unasked", () => {
  it("is reported degraded (for /healthz) until a new one runs, which starts without waiting for a view", async () => {
    const engine = await engineWith(new KillPoint(), null);
    expect(engine.health()).toEqual({ state: "ok" });
    await kill(engine);
    expect(engine.health()).toEqual({ state: "degraded", reason: expect.stringMatching(/process ended \(SIGKILL\); views are answered from the database tables/) });
    for (let i = 0; i < 400 && engine.processId() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(engine.processId()).toBeDefined();
    expect(engine.health()).toEqual({ state: "ok" });
  });

  it("that hangs (stopped) is ended after its answer time: the view gives the tables' figures instead of waiting", async () => {
    const engine = await engineWith(new KillPoint(), NOW, 1500);
    const filters: Filter[] = [{ dimension: "country", operator: "is_not", values: ["FR"] }];
    const expected = await view(null, { key: "30d" }, filters);
    const pid = engine.processId()!;
    process.kill(pid, "SIGSTOP");
    try {
      const began = performance.now();
      expect(await view(engine, { key: "30d" }, filters)).toEqual(expected);
      expect(performance.now() - began).toBeLessThan(20_000);
    } finally {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
    }
    // The stopped process was ended, and a new one runs.
    for (let i = 0; i < 400 && (engine.processId() === undefined || engine.processId() === pid); i++) await new Promise((resolve) => setTimeout(resolve, 25));
    expect(engine.processId()).not.toBe(pid);
    expect(engine.health()).toEqual({ state: "ok" });
  });
});
