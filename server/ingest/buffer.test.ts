import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createSite } from "../sites/sites.js";
import { expectCode, signedIn } from "../../test/support/actors.js";
import { anotherInstance, freshDb } from "../../test/support/db.js";
import { EventBuffer } from "./buffer.js";
import { localDay } from "../dates.js";
import type { PreparedEvent } from "./model.js";
import { callerAt, UA } from "../../test/support/ingest.js";
import { flushEvents, servicesFor } from "../../test/support/services.js";

// This file's processes hold at most 100 events or 1 MB, and write every 50 ms (read on first use).
process.env.INGEST_BUFFER_EVENTS = "100";
process.env.INGEST_BUFFER_MB = "1";
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

/** Properties as large as the payload rules let a 16 KB event carry: 30 of 480 characters, none seen before. */
const largeProps = () => Object.fromEntries(Array.from({ length: 30 }, (_, p) => [`prop_${p}`, randomBytes(360).toString("base64")]));

const sendLarge = (domain: string, path: string, ip = "203.0.113.6") =>
  callerAt(AT, { db, ip, userAgent: UA.windowsChrome }).events.ingest({ name: "Flood", url: `https://${domain}${path}`, domain, referrer: null, props: largeProps() });

const MB = 1024 * 1024;
const DIMS = { entry_page: "/", referrer_source: "", referrer: "", utm_source: "", utm_medium: "", utm_campaign: "", country: "", device: "Desktop", browser: "Chrome", os: "Windows" };

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

  it("refuses events past its byte bound with 503 and a reason, and writes every event it accepted", async () => {
    const site = await newSite("heavy.example");
    await send(site.domain, "/warm");
    await flushEvents(db);
    // Nothing is written meanwhile, so what is held only grows.
    const hold = await holdTables();
    let accepted = 0;
    let refusal: Error | null = null;
    try {
      while (!refusal && accepted < 100) {
        const answer = await sendLarge(site.domain, `/h${accepted}`, `198.51.100.${accepted}`).catch((error: Error) => error);
        if (answer instanceof Error) refusal = answer;
        else accepted += 1;
      }
      expect(servicesFor(db).events.bytes).toBeLessThanOrEqual(MB);
    } finally {
      await hold.release();
    }
    expect(refusal).not.toBeNull();
    expect((refusal as { code?: string }).code).toBe("SERVICE_UNAVAILABLE");
    expect(refusal!.message).toMatch(/cannot store events right now: it is holding as many as it can/);
    expect((refusal as { cause?: { retryAfterSeconds?: number } }).cause?.retryAfterSeconds).toBeGreaterThan(0);
    // 1 MB holds about 60 events of 30 properties of 480 characters, far fewer than the 100 allowed by count.
    expect(accepted).toBeGreaterThan(40);
    expect(accepted).toBeLessThan(70);
    await flushEvents(db);
    expect(await countFor(site.id)).toEqual({ events: accepted + 1, visits: accepted + 1 });
  });

  it("writes a batch larger than its byte limit in parts, each a transaction with its visits, and keeps every visitor's visit whole", async () => {
    const site = await newSite("parts.example");
    const buffer = new EventBuffer(db, { flushMs: 60_000, maxEvents: 10_000, maxBytes: 64 * MB });
    const start = Date.parse(AT);
    // 600 pageviews of three visitors, a second apart, each with 14.7 KB of properties: over 10 MB counted.
    for (let i = 0; i < 600; i++) {
      const path = `/p${i}`;
      buffer.accept({
        siteId: site.id,
        timezone: "UTC",
        ts: new Date(start + i * 1000),
        day: "2026-06-01",
        name: "pageview",
        pathname: path,
        pageview: true,
        visitorId: 9000 + (i % 3),
        firstEvent: { ...DIMS, entry_page: path },
        props: largeProps(),
      });
    }
    expect(buffer.bytes).toBeGreaterThan(10 * MB);
    await buffer.flush();
    expect(buffer.bytes).toBe(0);
    // xmin names the transaction that wrote a row: one per part. Its properties' text stays within 1 MB.
    const { rows: parts } = await sql<{ events: number; bytes: number }>`
      select count(distinct e.id)::int as events, sum(octet_length(p.key) + octet_length(p.value))::int as bytes
      from events e, jsonb_each_text(e.props) p where e.site_id = ${site.id} group by e.xmin::text`.execute(db);
    expect(parts.length).toBeGreaterThanOrEqual(9);
    expect(parts.reduce((n, p) => n + p.events, 0)).toBe(600);
    for (const part of parts) expect(part.bytes).toBeLessThanOrEqual(MB);
    const visits = await db
      .selectFrom("visits")
      .select(["visitor_id", "entry_page", "exit_page", "pageviews", "events", "started_at", "ended_at"])
      .where("site_id", "=", site.id)
      .orderBy("visitor_id")
      .execute();
    expect(visits.map((v) => ({ ...v, started_at: new Date(v.started_at).getTime(), ended_at: new Date(v.ended_at).getTime() }))).toEqual(
      [0, 1, 2].map((v) => ({
        visitor_id: 9000 + v,
        entry_page: `/p${v}`,
        exit_page: `/p${597 + v}`,
        pageviews: 200,
        events: 200,
        started_at: start + v * 1000,
        ended_at: start + (597 + v) * 1000,
      })),
    );
    const sessions = await sql<{ n: number }>`select count(distinct session_id)::int as n from events where site_id = ${site.id}`.execute(db);
    expect(sessions.rows[0]!.n).toBe(3);
  });

  it("still writes 5,000 plain pageviews in one transaction", async () => {
    const site = await newSite("plain.example");
    const buffer = new EventBuffer(db, { flushMs: 60_000, maxEvents: 10_000, maxBytes: 64 * MB });
    for (let i = 0; i < 5_000; i++) {
      const path = `/blog/post-${i % 400}`;
      buffer.accept({ siteId: site.id, timezone: "UTC", ts: new Date(Date.parse(AT) + i), day: "2026-06-01", name: "pageview", pathname: path, pageview: true, visitorId: 20_000 + i, firstEvent: { ...DIMS, entry_page: path, referrer_source: "Google", referrer: "google.com", country: "NL" }, props: null });
    }
    await buffer.flush();
    const { rows } = await sql<{ parts: number; events: number }>`
      select count(distinct xmin::text)::int as parts, count(*)::int as events from events where site_id = ${site.id}`.execute(db);
    expect(rows[0]).toEqual({ parts: 1, events: 5_000 });
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
    const buffer = new EventBuffer(db, { flushMs: 60_000, maxEvents: 1000, maxBytes: 64 * 1024 * 1024, report: (line) => reports.push(line) });
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
    const buffer = new EventBuffer(db, { flushMs: 60_000, maxEvents: 1000, maxBytes: 64 * 1024 * 1024 });
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
    const buffer = new EventBuffer(db, { flushMs: 60_000, maxEvents: 1000, maxBytes: 64 * 1024 * 1024 });
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
    expect(servicesFor(db).events.size).toBe(20);
    await hold.release();
    // The cut write may still be failing; the next one writes them.
    await flushEvents(db).catch(() => flushEvents(db));
    expect(await countFor(site.id)).toEqual({ events: 21, visits: 21 });
  });

  it("tries again when a write fails while it stops, and loses nothing the database can take", async (context) => {
    // Needs a second connection to find and cut the writer's: Postgres only.
    const admin = anotherInstance(db);
    if (!admin) return context.skip();
    const site = await newSite("stopping.example");
    const buffer = new EventBuffer(db, { flushMs: 60_000, maxEvents: 1000, maxBytes: 64 * MB });
    const at = (i: number): PreparedEvent => ({ siteId: site.id, timezone: "UTC", ts: new Date(Date.parse(AT) + i * 1000), day: "2026-06-01", name: "pageview", pathname: `/s${i}`, pageview: true, visitorId: 500 + i, firstEvent: DIMS, props: null });
    for (let i = 0; i < 10; i++) buffer.accept(at(i));
    const hold = await holdTables();
    const closing = buffer.close();
    // The stop's first write waits for the lock; its connection is cut, as a statement timeout would end it.
    let cut = 0;
    for (let tries = 0; tries < 100 && cut === 0; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { rows } = await sql<{ n: number }>`
        select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock' and query like '%for key share%'`.execute(admin);
      cut = rows[0]!.n;
    }
    expect(cut).toBe(1);
    await hold.release();
    expect(await closing).toBe(0);
    expect(await countFor(site.id)).toEqual({ events: 10, visits: 10 });
  });
});
