import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";

import { anotherInstance, freshDb } from "../../test/support/db.js";
import { acceptEvent } from "../../test/support/ingest.js";
import type { RequestMeta } from "./model.js";
import { UA } from "../../test/support/ingest.js";
import { ingestEvent } from "../../test/support/reference-ingest.js";
import { dashboardAt, flushEvents, servicesFor } from "../../test/support/services.js";

// The batched path (accept, buffer, one transaction per batch) must record exactly what the
// per-event path records for the same events arriving in the same order: same visitors, visits,
// bounces, durations, entry and exit pages, and every event in the same visit.

const TIMEZONE = "America/New_York";
/** 23:00 in New York: streams run over local midnight, where visits must split. */
const START = Date.parse("2026-01-14T04:00:00Z");
const DAYS = ["2026-01-13", "2026-01-14", "2026-01-15"];
const MINUTE = 60_000;
const PATHS = ["/", "/pricing", "/blog/a", "/docs"];
const REFERRERS = [null, "https://news.ycombinator.com/item?id=1", "https://www.google.com/", "SELF"];
const CLIENTS: [string, string][] = [
  ["203.0.113.10", UA.windowsChrome],
  ["203.0.113.10", UA.iphoneSafari], // same address, another browser: another visitor
  ["198.51.100.20", UA.androidChrome],
  ["2001:db8::30", UA.ipadSafari],
  ["192.0.2.40", UA.windowsChrome],
  ["192.0.2.41", UA.iphoneSafari],
];

interface Sent {
  at: number;
  client: number;
  name: string;
  path: string;
  referrer: string | null;
}

/** Gaps between a visitor's events: seconds, minutes, right at the 30-minute edge, or hours. */
const gap = fc.oneof(
  fc.integer({ min: 1_000, max: 5 * MINUTE }),
  fc.constantFrom(30 * MINUTE, 30 * MINUTE + 1_000, 30 * MINUTE - 1_000),
  fc.integer({ min: 31 * MINUTE, max: 150 * MINUTE }),
);
const visitorEvents = fc.record({
  offset: fc.integer({ min: 0, max: 90 * MINUTE }),
  events: fc.array(
    fc.record({ gap, pageview: fc.boolean().map((b) => b || Math.random() < 0.6), path: fc.constantFrom(...PATHS), referrer: fc.constantFrom(...REFERRERS) }),
    { minLength: 1, maxLength: 8 },
  ),
});

/**
 * A stream as the server would see it: the visitors' events interleaved by time, then shuffled
 * by up to 90 s of network jitter, so timestamps arrive out of order within a batch.
 */
const stream = fc
  .record({
    visitors: fc.array(visitorEvents, { minLength: 1, maxLength: CLIENTS.length }),
    jitter: fc.array(fc.integer({ min: -90_000, max: 90_000 }), { minLength: 60, maxLength: 60 }),
    cuts: fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 6 }),
  })
  .map(({ visitors, jitter, cuts }) => {
    const sent: Sent[] = [];
    visitors.forEach((visitor, client) => {
      let at = START + visitor.offset;
      for (const e of visitor.events) {
        at += e.gap;
        sent.push({ at, client, name: e.pageview ? "pageview" : "Signup", path: e.path, referrer: e.referrer });
      }
    });
    const arrival = sent.map((e, i) => ({ e, key: e.at + jitter[i % jitter.length]! })).sort((a, b) => a.key - b.key);
    return { events: arrival.map((a) => a.e), cuts: new Set(cuts) };
  });

let perEvent: Db;
let batched: Db;

beforeAll(async () => {
  perEvent = await freshDb();
  batched = await freshDb();
  // One salt per day in both databases, so a visitor has the same id in both.
  for (const db of [perEvent, batched]) {
    await db.insertInto("visitor_salts").values(DAYS.map((day) => ({ day, salt: `replay-${day}` }))).execute();
  }
});

async function siteInBoth(dbs: Db[]) {
  const site = { id: randomUUID(), domain: `replay-${randomUUID().slice(0, 8)}.example`, timezone: TIMEZONE };
  for (const db of dbs) await db.insertInto("sites").values(site).execute();
  return site;
}

function request(site: { domain: string }, e: Sent) {
  const [ip, userAgent] = CLIENTS[e.client]!;
  const payload = {
    name: e.name,
    url: `https://${site.domain}${e.path}`,
    domain: site.domain,
    referrer: e.referrer === "SELF" ? `https://${site.domain}/` : (e.referrer ?? ""),
  };
  const meta: RequestMeta = { ip, userAgent, country: ["DE", "US", "FR"][e.client % 3]!, now: new Date(e.at) };
  return { payload, meta };
}

/** Everything about a site's visits and events except the random session ids. */
async function recorded(db: Db, siteId: string) {
  const visits = await db.selectFrom("visits").selectAll().where("site_id", "=", siteId).execute();
  const visitOf = new Map(visits.map((v) => [v.session_id, `${v.visitor_id}@${v.started_at.toISOString()}`]));
  const events = await db.selectFrom("events").selectAll().where("site_id", "=", siteId).execute();
  const canonical = <T extends object>(rows: T[]) => rows.map((row) => JSON.stringify(row)).sort();
  return {
    visits: canonical(visits.map(({ session_id: _s, ...v }) => v)),
    events: canonical(events.map(({ id: _id, session_id, ...e }) => ({ ...e, visit: visitOf.get(session_id) }))),
  };
}

async function dashboard(db: Db, site: { id: string; domain: string; timezone: string }) {
  const stats = await dashboardAt(db, site, { period: { key: "custom", from: DAYS[0]!, to: DAYS[2]! }, filters: [], now: new Date("2026-01-20T12:00:00Z"), cache: false });
  return { totals: stats.totals, breakdowns: stats.breakdowns };
}

describe("the batched path", () => {
  it("records what the per-event path records, for any stream, batch boundaries and arrival order", async () => {
    await fc.assert(
      fc.asyncProperty(stream, async ({ events, cuts }) => {
        const site = await siteInBoth([perEvent, batched]);
        for (const e of events) {
          const { payload, meta } = request(site, e);
          await ingestEvent(perEvent, payload, meta);
        }
        for (const [i, e] of events.entries()) {
          const { payload, meta } = request(site, e);
          expect(await acceptEvent(servicesFor(batched), payload, meta)).toEqual({ accepted: true });
          if (cuts.has(i + 1)) await flushEvents(batched);
        }
        await flushEvents(batched);

        const expected = await recorded(perEvent, site.id);
        expect(expected.events).toHaveLength(events.length);
        expect(await recorded(batched, site.id)).toEqual(expected);
        expect(await dashboard(batched, site)).toEqual(await dashboard(perEvent, site));
      }),
      { numRuns: 40 },
    );
  });

  it("splits visits at 30 minutes idle and at local midnight, as the per-event path does", async () => {
    const site = await siteInBoth([perEvent, batched]);
    const visitor = { ip: "203.0.113.99", userAgent: UA.windowsChrome, country: "" };
    // 23:40, 23:55 and 00:05 New York time, then 00:40 (35 idle minutes), then a late event at 00:36.
    const times = ["2026-01-14T04:40:00Z", "2026-01-14T04:55:00Z", "2026-01-14T05:05:00Z", "2026-01-14T05:40:00Z", "2026-01-14T05:36:00Z"];
    for (const [i, at] of times.entries()) {
      const payload = { name: "pageview", url: `https://${site.domain}/p${i}`, domain: site.domain, referrer: "" };
      await ingestEvent(perEvent, payload, { ...visitor, now: new Date(at) });
      await acceptEvent(servicesFor(batched), payload, { ...visitor, now: new Date(at) });
    }
    await flushEvents(batched);
    const visits = await batched.selectFrom("visits").select(["day", "entry_page", "exit_page", "pageviews", "started_at", "ended_at"]).where("site_id", "=", site.id).orderBy("started_at").execute();
    expect(visits.map((v) => [v.day, v.entry_page, v.exit_page, v.pageviews])).toEqual([
      ["2026-01-13", "/p0", "/p1", 2],
      ["2026-01-14", "/p2", "/p2", 1],
      // The late 00:36 event joins the visit that /p3 opened at 00:40, as its start.
      ["2026-01-14", "/p3", "/p3", 2],
    ]);
    expect(await recorded(batched, site.id)).toEqual(await recorded(perEvent, site.id));
  });
});

describe("two instances on one database", () => {
  it("give a visitor whose events reach them alternately one visit, however their writes interleave", async (context) => {
    const instanceA = batched;
    const instanceB = anotherInstance(batched);
    // PGlite is embedded: only one process can open it, so there is no second instance to run.
    if (!instanceB) return context.skip();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ gap: fc.integer({ min: 1_000, max: 90_000 }), toB: fc.boolean(), flush: fc.constantFrom("none", "A", "B", "both") }), { minLength: 2, maxLength: 40 }),
        async (steps) => {
          const site = await siteInBoth([batched]);
          const writes: Promise<void>[] = [];
          let at = Date.parse("2026-01-14T15:00:00Z");
          for (const [i, step] of steps.entries()) {
            at += step.gap;
            const payload = { name: "pageview", url: `https://${site.domain}/s${i}`, domain: site.domain, referrer: "" };
            for (const [ip, userAgent] of [CLIENTS[0]!, CLIENTS[2]!]) {
              await acceptEvent(servicesFor(step.toB ? instanceB : instanceA), payload, { ip, userAgent, country: "", now: new Date(at) });
            }
            // Not awaited: the two instances' writes run at the same time.
            if (step.flush === "A" || step.flush === "both") writes.push(flushEvents(instanceA));
            if (step.flush === "B" || step.flush === "both") writes.push(flushEvents(instanceB));
          }
          await Promise.all([...writes, flushEvents(instanceA), flushEvents(instanceB)]);
          const visits = await batched.selectFrom("visits").select(["visitor_id", "pageviews", "events", "entry_page", "exit_page"]).where("site_id", "=", site.id).execute();
          expect(visits).toHaveLength(2);
          for (const visit of visits) {
            // The entry page is the page that opened the visit in the order the writes landed,
            // which across instances can be a page a second later than the first (as per event).
            expect(visit).toMatchObject({ pageviews: steps.length, events: steps.length, exit_page: `/s${steps.length - 1}` });
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
