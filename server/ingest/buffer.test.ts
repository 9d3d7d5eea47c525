import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createSite } from "../sites/sites.js";
import { expectCode, signedIn } from "../test/actors.js";
import { anotherInstance, freshDb } from "../test/db.js";
import { EventBuffer, eventBuffer, flushEvents } from "./buffer.js";
import { localDay } from "../stats/dates.js";
import type { PreparedEvent } from "./model.js";
import { callerAt, UA } from "./testing.js";

// This file's processes hold at most 100 events and write every 50 ms (read on first use).
process.env.INGEST_BUFFER_EVENTS = "100";
process.env.INGEST_FLUSH_MS = "50";

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
const AT = "2026-06-01T12:00:00Z";

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "buffer-owner");
});

async function newSite(domain: string) {
  return (await createSite(db, owner.user.id, { domain, timezone: "UTC" })).site;
}

const send = (domain: string, path: string, ip = "203.0.113.5") =>
  callerAt(AT, { db, ip, userAgent: UA.windowsChrome }).events.ingest({ name: "pageview", url: `https://${domain}${path}`, domain, referrer: null });

const countFor = async (siteId: string) => {
  const { rows } = await sql<{ events: number; visits: number }>`
    select (select count(*) from events where site_id = ${siteId})::int as events,
           (select coalesce(sum(events), 0) from visits where site_id = ${siteId})::int as visits`.execute(db);
  return rows[0]!;
};

/** Holds the ingestion tables locked (as a database that does not answer would) until released. */
async function holdTables(): Promise<{ release: () => Promise<void> }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const done = db.transaction().execute(async (trx) => {
    await sql`lock table sites, visits, events in access exclusive mode`.execute(trx);
    locked();
    await held;
  });
  await isLocked;
  return {
    release: async () => {
      release();
      await done;
    },
  };
}

describe("the event buffer", () => {
  it("answers at once while the database is stuck, refuses with 503 past its bound, and then writes every accepted event", async () => {
    const site = await newSite("stuck.example");
    // The site and the day's salt are looked up before the database gets stuck.
    await send(site.domain, "/warm");
    await flushEvents(db);
    const hold = await holdTables();
    const accepted = [];
    for (let i = 0; i < 100; i++) accepted.push(await send(site.domain, `/p${i}`, `198.51.100.${i}`));
    expect(accepted.every((r) => r.accepted)).toBe(true);
    const error = await expectCode(send(site.domain, "/one-too-many"), "SERVICE_UNAVAILABLE");
    expect(error.message).toMatch(/cannot store events right now/);
    expect((error as { cause?: { retryAfterSeconds?: number } }).cause?.retryAfterSeconds).toBeGreaterThan(0);
    await hold.release();
    await flushEvents(db);
    expect(await countFor(site.id)).toEqual({ events: 101, visits: 101 });
  });

  it("shows a batch whole or not at all", async () => {
    const site = await newSite("whole.example");
    for (let i = 0; i < 90; i++) await send(site.domain, `/w${i % 7}`, `192.0.2.${i}`);
    const seen = new Set<string>();
    let writing = true;
    const write = flushEvents(db).finally(() => (writing = false));
    while (writing) seen.add(JSON.stringify(await countFor(site.id)));
    await write;
    seen.add(JSON.stringify(await countFor(site.id)));
    for (const counts of seen) expect([JSON.stringify({ events: 0, visits: 0 }), JSON.stringify({ events: 90, visits: 90 })]).toContain(counts);
    expect(seen).toContain(JSON.stringify({ events: 90, visits: 90 }));
  });

  it("drops the events of a site deleted before they were written, and writes the rest", async () => {
    const gone = await newSite("gone.example");
    const kept = await newSite("kept.example");
    await send(gone.domain, "/a");
    await send(kept.domain, "/b");
    await db.deleteFrom("sites").where("id", "=", gone.id).execute();
    await flushEvents(db);
    expect(await countFor(gone.id)).toEqual({ events: 0, visits: 0 });
    expect(await countFor(kept.id)).toEqual({ events: 1, visits: 1 });
  });

  it("drops only the event the database refuses, and says so", async () => {
    const site = await newSite("refused.example");
    const reports: string[] = [];
    const buffer = new EventBuffer(db, { flushMs: 60_000, maxEvents: 1000, report: (line) => reports.push(line) });
    const event = (i: number, country = "NL"): PreparedEvent => ({
      siteId: site.id,
      timezone: "UTC",
      ts: new Date(Date.parse(AT) + i * 1000),
      day: "2026-06-01",
      name: "pageview",
      pathname: `/r${i}`,
      pageview: true,
      visitorId: 1000 + i,
      firstEvent: { entry_page: `/r${i}`, referrer_source: "", referrer: "", utm_source: "", utm_medium: "", utm_campaign: "", country, device: "Desktop", browser: "Chrome", os: "Windows" },
      props: null,
    });
    // A lowercase country breaks a check constraint; validation never lets one through.
    for (let i = 0; i < 9; i++) buffer.accept(event(i, i === 4 ? "nl" : "NL"));
    await buffer.flush();
    expect(await countFor(site.id)).toEqual({ events: 8, visits: 8 });
    expect(reports).toEqual([expect.stringMatching(/An event was dropped/)]);
  });

  it("writes what it holds when closed, and takes nothing after", async () => {
    const site = await newSite("closing.example");
    const buffer = new EventBuffer(db, { flushMs: 60_000, maxEvents: 1000 });
    const prepared = { siteId: site.id, timezone: "UTC", ts: new Date(AT), day: "2026-06-01", name: "pageview", pathname: "/", pageview: true, visitorId: 42, props: null };
    const dims = { entry_page: "/", referrer_source: "", referrer: "", utm_source: "", utm_medium: "", utm_campaign: "", country: "", device: "", browser: "", os: "" };
    buffer.accept({ ...prepared, firstEvent: dims });
    buffer.accept({ ...prepared, ts: new Date(Date.parse(AT) + 1000), firstEvent: dims });
    expect(await buffer.close()).toBe(0);
    expect(await countFor(site.id)).toEqual({ events: 2, visits: 2 });
    expect(() => buffer.accept({ ...prepared, firstEvent: dims })).toThrow(/restarting/);
  });

  it("rebuilds a site's stats when events land in a day that was already final", async () => {
    const site = await newSite("late.example");
    const version = async () => (await db.selectFrom("sites").select("stats_version").where("id", "=", site.id).executeTakeFirstOrThrow()).stats_version;
    const buffer = new EventBuffer(db, { flushMs: 60_000, maxEvents: 1000 });
    const dims = { entry_page: "/", referrer_source: "", referrer: "", utm_source: "", utm_medium: "", utm_campaign: "", country: "", device: "", browser: "", os: "" };
    const at = (ts: Date) => ({ siteId: site.id, timezone: "UTC", ts, day: localDay(ts, "UTC"), name: "pageview", pathname: "/", pageview: true, visitorId: 7, props: null, firstEvent: dims });
    const before = await version();
    buffer.accept(at(new Date()));
    await buffer.flush();
    expect(await version()).toBe(before);
    // Held through a long outage: stamped two days ago, written now.
    buffer.accept(at(new Date(Date.now() - 2 * 86_400_000)));
    await buffer.flush();
    expect(await version()).toBe(before + 1);
  });

  it("keeps the events of a write whose connection is cut, and writes them on the retry", async (context) => {
    // Needs a second connection to find and cut the writer's: Postgres only.
    const admin = anotherInstance(db);
    if (!admin) return context.skip();
    const site = await newSite("cut.example");
    await send(site.domain, "/warm");
    await flushEvents(db);
    const hold = await holdTables();
    for (let i = 0; i < 20; i++) await send(site.domain, `/c${i}`, `198.51.100.${i}`);
    // The timer's write starts and waits for the lock; then its connection is terminated.
    let cut = 0;
    for (let tries = 0; tries < 100 && cut === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { rows } = await sql<{ n: number }>`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%for key share%'`.execute(admin);
      cut = rows[0]!.n;
    }
    expect(cut).toBe(1);
    expect(eventBuffer(db).size).toBe(20);
    await hold.release();
    // The cut write may still be failing; the next one writes them.
    await flushEvents(db).catch(() => flushEvents(db));
    expect(await countFor(site.id)).toEqual({ events: 21, visits: 21 });
  });
});
