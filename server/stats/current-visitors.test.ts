import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createGoal, goalDefinitions } from "../goals/goals.js";
import { writeBatch } from "../ingest/batch.js";
import { prepareEvent } from "../ingest/pipeline.js";
import type { PreparedEvent } from "../ingest/model.js";
import { callerAt, UA } from "../../test/support/ingest.js";
import type { Filter } from "../schemas/filters.js";
import { createSite } from "../sites/sites.js";
import { signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { type ColumnarEngine, openColumnarEngine } from "./columnar/engine.js";
import type { StatsEngine } from "./engine.js";
import { currentVisitorsQuery } from "./current-visitors.js";
import { CURRENT_VISITOR_WINDOW_MS } from "./dashboard.js";
import { keepFinishedDays } from "./kept-engine.js";
import { servicesFor } from "../../test/support/services.js";

/**
 * A busy site right after a burst: thousands of visits ended in the last five minutes, on top of a
 * morning of traffic the planner's statistics already know. "Current visitors" under page and goal
 * filters must equal a plain count and read the day's events once, not once per recent visit.
 */

const NOW = new Date("2026-03-15T12:00:00Z");
const SINCE = new Date(NOW.getTime() - CURRENT_VISITOR_WINDOW_MS);
const MORNING_VISITS = 1500;
const BURST_VISITS = 2500;
const PAGES = ["/", "/pricing", "/docs", "/docs/install", "/blog/hello"];
const COUNTRIES = ["DE", "US", "FR"];

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let site: { id: string; domain: string; timezone: string };
let columnar: ColumnarEngine;

type Sent = { at: number; ip: string; country: string; name: string; page: string };

async function send(events: Sent[]) {
  events.sort((a, b) => a.at - b.at);
  for (let i = 0; i < events.length; i += 500) {
    const batch: PreparedEvent[] = [];
    for (const e of events.slice(i, i + 500)) {
      const payload = { name: e.name, url: `https://${site.domain}${e.page}`, domain: site.domain, referrer: "" };
      batch.push((await prepareEvent(servicesFor(db), payload, { ip: e.ip, userAgent: UA.windowsChrome, country: e.country, now: new Date(e.at) }))!);
    }
    await writeBatch(db, batch);
  }
}

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "owner");
  site = (await createSite(db, owner.user.id, { domain: "busy.test", timezone: "UTC" })).site;
  await createGoal(db, site.id, { kind: "event", eventName: "Signup" });
  await createGoal(db, site.id, { kind: "page", pagePath: "/docs*" });
  const minute = (n: number) => NOW.getTime() - n * 60_000;
  const morning: Sent[] = [];
  for (let i = 0; i < MORNING_VISITS; i++) {
    const who = { ip: `10.1.${i >> 8}.${i & 255}`, country: COUNTRIES[i % 3]! };
    const at = minute(600 - Math.floor((i / MORNING_VISITS) * 300));
    morning.push({ ...who, at, name: "pageview", page: PAGES[i % 5]! }, { ...who, at: at + 60_000, name: "pageview", page: PAGES[(i + 2) % 5]! });
  }
  await send(morning);
  // The statistics the planner works from describe the morning, as autovacuum left them.
  await sql`analyze visits`.execute(db);
  await sql`analyze events`.execute(db);
  const burst: Sent[] = [];
  for (let i = 0; i < BURST_VISITS; i++) {
    const who = { ip: `10.2.${i >> 8}.${i & 255}`, country: COUNTRIES[i % 3]! };
    const at = minute(4) + (i % 120) * 1000;
    burst.push({ ...who, at, name: "pageview", page: PAGES[i % 5]! }, { ...who, at: at + 30_000, name: "pageview", page: PAGES[(i + 1) % 5]! });
    if (i % 7 === 0) burst.push({ ...who, at: at + 40_000, name: "Signup", page: "/signup" });
  }
  // Long visits that ended just now: their matching page came long before the burst.
  for (let i = 0; i < 20; i++) {
    const who = { ip: `10.3.0.${i}`, country: "DE" };
    for (const [n, page] of [[50, "/docs"], [30, "/"], [10, "/pricing"], [2, "/"]] as const) burst.push({ ...who, at: minute(n), name: "pageview", page });
  }
  // Ended six minutes ago: not current.
  for (let i = 0; i < 20; i++) burst.push({ ip: `10.4.0.${i}`, country: "DE", at: minute(6), name: "pageview", page: "/docs" });
  await send(burst);
  columnar = await openColumnarEngine(db, { path: "memory", memoryMb: 128, threads: 1 });
}, 300_000);

afterAll(async () => {
  await columnar?.close();
});

async function readRows() {
  const visits = await db.selectFrom("visits").selectAll().where("site_id", "=", site.id).execute();
  const events = await db.selectFrom("events").select(["session_id", "name", "pathname"]).where("site_id", "=", site.id).execute();
  const bySession = new Map<number, typeof events>();
  for (const e of events) bySession.set(Number(e.session_id), [...(bySession.get(Number(e.session_id)) ?? []), e]);
  return { visits, bySession, goals: await goalDefinitions(db, site.id) };
}
let rows: ReturnType<typeof readRows> | undefined;

/** The plain count: visits that ended in the window, their visit dimensions, and what their events did. */
async function expected(filters: Filter[]): Promise<number> {
  const { visits, bySession, goals } = await (rows ??= readRows());
  const holds = (filter: Filter, value: string) =>
    filter.operator === "is" ? filter.values.includes(value) : filter.operator === "is_not" ? !filter.values.includes(value) : filter.values.some((v) => value.toLowerCase().includes(v.toLowerCase()));
  const converts = (e: { name: string; pathname: string }, name: string) => {
    const goal = goals.find((g) => g.name.toLowerCase() === name.toLowerCase());
    if (!goal) return false;
    return goal.kind === "event" ? e.name === goal.match : e.name === "pageview" && e.pathname.startsWith(goal.match.replace("*", ""));
  };
  const visitors = new Set<number>();
  for (const visit of visits) {
    if (visit.ended_at < SINCE || visit.ended_at > NOW) continue;
    const own = bySession.get(Number(visit.session_id)) ?? [];
    const kept = filters.every((filter) => {
      if (filter.dimension === "country") return holds(filter, visit.country);
      if (filter.dimension === "page") return own.some((e) => e.name === "pageview" && filters.filter((f) => f.dimension === "page").every((f) => holds(f, e.pathname)));
      if (filter.dimension === "goal") {
        const converted = own.some((e) => filter.values.some((name) => converts(e, name)));
        return filter.operator === "is_not" ? !converted : converted;
      }
      throw new Error(`not counted here: ${filter.dimension}`);
    });
    if (kept) visitors.add(Number(visit.visitor_id));
  }
  return visitors.size;
}

const FILTER_SETS: Filter[][] = [
  [],
  [{ dimension: "page", operator: "is", values: ["/docs"] }],
  [{ dimension: "page", operator: "contains", values: ["docs"] }, { dimension: "page", operator: "is_not", values: ["/docs/install"] }, { dimension: "country", operator: "is", values: ["DE"] }],
  [{ dimension: "goal", operator: "is", values: ["Signup"] }],
  [{ dimension: "goal", operator: "is_not", values: ["Visit /docs*"] }, { dimension: "page", operator: "is", values: ["/pricing"] }],
];

const dashboard = (filters: Filter[], engine?: StatsEngine) => callerAt(NOW, { db, sessionToken: owner.token, engine }).stats.dashboard({ site: site.domain, period: { key: "today" }, filters });

interface PlanNode {
  "Relation Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
}

/** Rows of `events` the plan looked at, over all its loops. */
function eventRowsRead(node: PlanNode): number {
  const own = node["Relation Name"] === "events" ? (node["Actual Rows"] + (node["Rows Removed by Filter"] ?? 0) + (node["Rows Removed by Index Recheck"] ?? 0)) * node["Actual Loops"] : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + eventRowsRead(child), 0);
}

describe("current visitors right after a burst of traffic", () => {
  it("has thousands of visits that ended in the last five minutes", async () => {
    const recent = await db.selectFrom("visits").select((eb) => eb.fn.countAll<number>().as("n")).where("site_id", "=", site.id).where("ended_at", ">=", SINCE).executeTakeFirstOrThrow();
    expect(Number(recent.n)).toBeGreaterThan(2000);
  });

  it("equals a plain count under page, goal and visit filters, on both engines", async () => {
    for (const filters of FILTER_SETS) {
      const want = await expected(filters);
      expect((await dashboard(filters)).currentVisitors, JSON.stringify(filters)).toBe(want);
    }
    for (const filters of FILTER_SETS) {
      expect((await dashboard(filters, keepFinishedDays(columnar))).currentVisitors, JSON.stringify(filters)).toBe(await expected(filters));
    }
    // The counts are not trivial: the filters keep some recent visitors and drop others.
    const counts = await Promise.all(FILTER_SETS.map(expected));
    expect(new Set(counts).size).toBe(FILTER_SETS.length);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });

  it("reads each of the day's events at most once, whatever the number of recent visits", async () => {
    const goals = await goalDefinitions(db, site.id);
    const { rows } = await sql<{ n: number }>`select count(*)::int8 as n from events where site_id = ${site.id}`.execute(db);
    const dayEvents = Number(rows[0]!.n);
    for (const filters of FILTER_SETS) {
      const query = currentVisitorsQuery({ siteId: site.id, from: "2026-03-15", to: "2026-03-15", filters, goals }, SINCE, NOW);
      const { rows: plan } = await sql<{ "QUERY PLAN": [{ Plan: PlanNode }] }>`explain (analyze, format json) ${query}`.execute(db);
      const read = eventRowsRead(plan[0]!["QUERY PLAN"][0].Plan);
      expect(read, JSON.stringify(filters)).toBeLessThanOrEqual(dayEvents);
    }
  });
});
