import { parse } from "csv-parse/sync";
import fc from "fast-check";
import { unzipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { freshDb } from "../../test/support/db.js";
import { signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { importFiles } from "../../test/support/imports.js";
import { UA } from "../../test/support/ingest.js";
import { ingestEvent } from "../../test/support/reference-ingest.js";
import { createGoal } from "../goals/goals.js";
import { DIMENSIONS } from "../schemas/filters.js";
import type { StatsSite } from "../stats/dashboard.js";
import { dashboardAt } from "../../test/support/services.js";
import { exportRange, exportZip } from "./export.js";

/**
 * Export site A, import the zip into an empty site B: over the exported days, B's totals, series,
 * breakdowns and event goals equal A's — every figure that is a sum of days.
 */
const FIRST = Date.parse("2026-01-05T00:00:00Z");
const NOW = new Date("2026-01-20T12:00:00Z");
const PAGES = ["/", "/pricing", "/docs", "/blog/a,b", '/q"uote', "/signup"];
const REFERRERS = ["", "https://www.google.com/", "https://news.ycombinator.com/item?id=1", "https://t.co/x"];
// Tags anyone can plant that a spreadsheet would run as formulas, and one that already starts with an apostrophe.
const UTM = ["", "?utm_source=newsletter&utm_medium=email&utm_campaign=launch", "?utm_source=%3DHYPERLINK(1)&utm_medium=%2Bads&utm_campaign=%40team", "?utm_source=-1&utm_campaign=%27%3Dquoted"];
/** Custom events besides Signup, on these pages: names that start like formulas. */
const FORMULA_EVENTS: Record<string, string> = { "/pricing": "=SUM(A1)", "/docs": "'@quoted" };
const AGENTS = [UA.windowsChrome, UA.iphoneSafari, UA.ipadSafari, UA.androidChrome];
const COUNTRIES = ["DE", "US", "GB", ""];

let db: Db;
let a: StatsSite;
let b: StatsSite;
let range: { from: string; to: string };
let exported: Uint8Array;

beforeAll(async () => {
  db = await freshDb();
  const { user } = await signedIn(db, "round-trip");
  const [siteA, siteB] = [await siteOwnedBy(db, user.id), await siteOwnedBy(db, user.id)];
  a = { id: siteA.id, domain: siteA.domain, timezone: "UTC" };
  b = { id: siteB.id, domain: siteB.domain, timezone: "UTC" };
  for (const site of [a, b]) for (const eventName of ["Signup", ...Object.values(FORMULA_EVENTS)]) await createGoal(db, site.id, { kind: "event", eventName });
  const random = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { seed: 28, numRuns: 5000 });
  let i = 0;
  const pick = <T>(list: T[]) => list[random[i++ % random.length]! % list.length]!;
  const events: { at: number; who: { ip: string; userAgent: string; country: string }; payload: Parameters<typeof ingestEvent>[1] }[] = [];
  for (let visitor = 0; visitor < 60; visitor++) {
    const who = { ip: `198.51.100.${visitor + 1}`, userAgent: pick(AGENTS), country: pick(COUNTRIES) };
    // Whole seconds, so durations survive Plausible's seconds exactly.
    let at = FIRST + (random[i++]! % (12 * 86_400)) * 1000;
    for (let visit = 0, visits = pick([1, 1, 2]); visit < visits; visit++) {
      const referrer = pick(REFERRERS);
      for (let n = 0, views = pick([1, 2, 3]); n < views; n++) {
        const page = pick(PAGES);
        events.push({ at, who, payload: { name: "pageview", url: `https://${a.domain}${page}${n === 0 ? pick(UTM) : ""}`, domain: a.domain, referrer: n === 0 ? referrer : "" } });
        if (page === "/signup") events.push({ at: at + 1000, who, payload: { name: "Signup", url: `https://${a.domain}/signup`, domain: a.domain, referrer: "" } });
        const formula = FORMULA_EVENTS[page];
        if (formula) events.push({ at: at + 1000, who, payload: { name: formula, url: `https://${a.domain}${page}`, domain: a.domain, referrer: "" } });
        at += (10 + (random[i++]! % 600)) * 1000;
      }
      at += pick([2 * 86_400, 3 * 86_400]) * 1000;
    }
  }
  events.sort((x, y) => x.at - y.at);
  for (const e of events) if (e.at < NOW.getTime()) await ingestEvent(db, e.payload, { ...e.who, now: new Date(e.at) });
  range = await exportRange(db, a, NOW);
  const chunks: Uint8Array[] = [];
  for await (const chunk of exportZip(db, a, range)) chunks.push(chunk);
  exported = Buffer.concat(chunks);
  const result = await importFiles(db, b.id, user.id, [{ name: "export.zip", data: exported }]);
  expect(result.error).toBeNull();
  expect(result.status).toBe("completed");
}, 120_000);

const view = (site: StatsSite, period: { from: string; to: string }) =>
  dashboardAt(db, site, { period: { key: "custom", ...period }, filters: [], now: NOW, cache: false, limit: 1000 });

describe("export, then import into an empty site", () => {
  it("gives the same totals, series, breakdowns and goals over the exported days", async () => {
    expect(range).toEqual({ from: "2026-01-05", to: "2026-01-19" });
    const [expected, actual] = await Promise.all([view(a, range), view(b, range)]);
    expect(expected.totals.pageviews).toBeGreaterThan(100);
    expect(actual.totals).toEqual(expected.totals);
    expect(actual.series).toEqual(expected.series);
    for (const dimension of DIMENSIONS) {
      expect({ dimension, rows: actual.breakdowns.find((x) => x.dimension === dimension)!.rows }).toEqual({ dimension, rows: expected.breakdowns.find((x) => x.dimension === dimension)!.rows });
    }
    expect(actual.goals.map((g) => [g.name, g.visitors, g.conversions])).toEqual(expected.goals.map((g) => [g.name, g.visitors, g.conversions]));
    expect(actual.imported).toEqual({ days: expect.any(Number), leftOut: false });
  });

  it("writes no cell a spreadsheet would run as a formula, and imports those values as they were", async () => {
    const cells = Object.values(unzipSync(exported)).flatMap((file) => parse(Buffer.from(file), { relax_column_count: false }) as string[][]).flat();
    expect(cells.filter((cell) => /^[=+\-@\t\r]/.test(cell))).toEqual([]);
    for (const value of ["'=HYPERLINK(1)", "'+ads", "'@team", "'-1", "''=quoted", "'=SUM(A1)", "''@quoted"]) expect(cells).toContain(value);
    const [expected, actual] = await Promise.all([view(a, range), view(b, range)]);
    const tags = (stats: typeof actual) => stats.breakdowns.filter((x) => x.dimension.startsWith("utm_")).flatMap((x) => x.rows.map((r) => r.value));
    expect(tags(actual)).toEqual(expect.arrayContaining(["=HYPERLINK(1)", "+ads", "@team", "'=quoted"]));
    expect(tags(actual)).toEqual(tags(expected));
    expect(actual.goals.filter((g) => g.conversions > 0).map((g) => g.name)).toEqual(expect.arrayContaining(["=SUM(A1)", "'@quoted"]));
  });

  it("gives the same figures for any part of the range", async () => {
    const days = (from: number, to: number) => ({ from: `2026-01-${String(5 + from).padStart(2, "0")}`, to: `2026-01-${String(5 + to).padStart(2, "0")}` });
    for (const [from, to] of [[0, 0], [2, 9], [13, 14]] as const) {
      const [expected, actual] = await Promise.all([view(a, days(from, to)), view(b, days(from, to))]);
      expect(actual.totals).toEqual(expected.totals);
      expect(actual.breakdowns).toEqual(expected.breakdowns);
    }
  });
});
