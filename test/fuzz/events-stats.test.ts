import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import { MAX_VIEW_FILTERS } from "../../server/schemas/stats.js";
import type { Db } from "../../db/client.js";
import { freshDb } from "../support/db.js";
import { type Actor, Fuzzer } from "./harness.js";
import { dimension, dimensionEdge, endOfCalendar, filters, filtersEdge, limit, limitEdge, period, periodEdge, siteVariants } from "./fields.js";
import { inputs, nastyString, wild } from "./inputs.js";
import { buildWorld, siteActors, type World } from "./world.js";
import { flushEvents } from "../support/services.js";

let w: World;
let db: Db;
let fuzz: Fuzzer;
let actors: Actor[];

beforeAll(async () => {
  db = await freshDb();
  w = await buildWorld(db);
  fuzz = new Fuzzer(db, "events+stats");
  actors = siteActors(w);
});

afterAll(() => fuzz?.report());

const PAGES = [
  "https://shop.example/",
  "https://shop.example/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=launch",
  `https://shop.example/?utm_source=${encodeURIComponent("'; drop table events; --")}&ref=%00`,
  `https://shop.example/?utm_campaign=${encodeURIComponent("<script>alert(1)</script>")}`,
  "https://shop.example/%00/%0a",
  "https://shop.example/caf%C3%A9",
  "https://shop.example/%E0%A4%A",
  "https://www.shop.example/#/hash",
  `https://shop.example/${"a".repeat(1970)}`,
  "https://other.example/",
];
const url = fc.oneof(fc.constantFrom(...PAGES), fc.tuple(fc.webPath(), fc.webQueryParameters()).map(([path, query]) => `https://shop.example${path || "/"}?${query}`));
const referrer = fc.oneof(fc.constantFrom(null, undefined, "https://www.google.com/search?q=x", "https://shop.example/", "android-app://com.slack", "https://t.co/\u0000"), fc.webUrl());
const props = fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string({ maxLength: 20 }), fc.double(), fc.boolean(), fc.constant(null)), { maxKeys: 5 });
const event = fc.record(
  {
    name: fc.oneof(fc.constantFrom("pageview", "Signup", "Outbound Link: Click"), fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 })),
    url,
    domain: fc.constantFrom("shop.example", "SHOP.EXAMPLE", " www.shop.example ", "https://shop.example/", "other.example", "unknown.example"),
    referrer,
    props,
  },
  { requiredKeys: ["name", "url", "domain"] },
);
/** The one-letter keys of Plausible's own tracker. */
const short = event.map((e) => ({ n: e.name, u: e.url, d: e.domain, r: e.referrer, p: e.props }));
const eventEdges = {
  name: nastyString,
  url: fc.oneof(nastyString, fc.constantFrom("javascript:alert(1)", "ftp://shop.example/", "https://", "//shop.example/", "https://shop.example/\u0000", "http://[::1]/", `https://shop.example/${"a".repeat(2001)}`)),
  domain: fc.oneof(nastyString, fc.constantFrom("shop.example\u0000", "SHOP.EXAMPLE\u0000")),
  referrer: nastyString,
  props: fc.oneof(
    wild,
    fc.constantFrom<unknown>(Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])), JSON.parse('{"__proto__": {"x": 1}}'), { a: { nested: true } }, { a: [1] }, { a: "x".repeat(2001) }, { ["k".repeat(301)]: 1 }),
  ),
  n: nastyString,
  u: nastyString,
};

const site = () => fc.constantFrom(...siteVariants(w.domain), w.domain, w.otherDomain, "unknown.example");
const edges = () => ({
  site: fc.oneof(nastyString, fc.constantFrom("shop.example\u0000", "https://shop.example")),
  period: periodEdge,
  filters: filtersEdge,
  limit: limitEdge,
  dimension: dimensionEdge,
});

describe("ingestion and stats procedures answer any input with data or a 4xx, and never a partial write", () => {
  it("events.ingest", () =>
    fuzz.run({
      path: "events.ingest",
      mutation: true,
      runs: 600,
      // The tracker has a browser user agent; signed-in callers have none and count as bots.
      actors: [w.actors.anonymous, w.actors.anonymous, w.actors.unlocked, w.actors.owner],
      input: fc.oneof(inputs(event, eventEdges), inputs(short, eventEdges)),
      // An accepted event is written by the buffer's timer; written at once, it cannot land inside the next call.
      settle: () => flushEvents(db),
    }));

  it("stats.dashboard", () =>
    fuzz.run({
      path: "stats.dashboard",
      mutation: false,
      runs: 500,
      actors,
      input: inputs(fc.record({ site: site(), period, filters: filters(0, MAX_VIEW_FILTERS), limit }, { requiredKeys: ["site", "period"] }), edges()),
    }));

  it("stats.breakdown", () =>
    fuzz.run({
      path: "stats.breakdown",
      mutation: false,
      runs: 500,
      actors,
      input: inputs(fc.record({ site: site(), period, filters: filters(0, MAX_VIEW_FILTERS), dimension, limit }, { requiredKeys: ["site", "period", "dimension"] }), edges()),
    }));

  // A hang would freeze this worker for good, so these periods run in a child with a heap cap and a
  // deadline per call (each answers in well under a second on an idle machine).
  it("stats and share stats at the end of the calendar, in a child process", () =>
    fuzz.runOutOfProcess(fileURLToPath(new URL("./calendar-child.ts", import.meta.url)), fc.sample(endOfCalendar, { numRuns: 20, seed: 9999 }), {
      deadlineMs: 45_000,
      startupMs: 120_000,
      maxHeapMb: 160,
      env: { PGLITE_TEMPLATE: inject("pgliteTemplate") ?? "" },
    }));
});
