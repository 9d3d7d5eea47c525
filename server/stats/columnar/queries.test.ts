import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../../db/client.js";
import { ensureUser } from "../../auth/users.js";
import { createGoal, type GoalDefinition, goalDefinitions } from "../../goals/goals.js";
import { writeBatch } from "../../ingest/batch.js";
import type { PreparedEvent } from "../../ingest/model.js";
import { prepareEvent } from "../../ingest/pipeline.js";
import type { Filter } from "../../schemas/filters.js";
import { createSite } from "../../sites/sites.js";
import { freshDb } from "../../../test/support/db.js";
import { UA } from "../../../test/support/ingest.js";
import { servicesFor } from "../../../test/support/services.js";
import { Columnar } from "./duckdb.js";
import { complementRows } from "./complement.js";
import { planRange } from "./plan.js";
import type { Row } from "./grouping.js";
import { countedRows, multiVisitRows } from "./queries.js";
import { syncSite } from "./sync.js";
import { pathSets } from "./where.js";

/**
 * The three plans for the multi-visit visitors' rows (one CTE for every breakdown, each breakdown
 * reading its own rows, or every breakdown unpivoted into one group by) give the same rows for
 * any filters. The equality property test (../engines.test.ts) holds the engine to the source
 * tables; its sites are small, so they only ever take the unpivot.
 */

const NOW = new Date("2026-03-15T12:00:00Z");
const PAGES = ["/", "/pricing", "/docs", "/docs/install", "/blog/hello", "/signup"];
const COUNTRIES = ["DE", "US", "GB", ""];
const REFERRERS = ["", "https://www.google.com/", "https://t.co/x"];
const AGENTS = [UA.windowsChrome, UA.iphoneSafari, UA.androidChrome];

let db: Db;
let columnar: Columnar;
let siteId: string;
let goals: GoalDefinition[];

beforeAll(async () => {
  db = await freshDb();
  const user = await ensureUser(db, "plans@glimpse.test", "plans-password-1");
  const site = (await createSite(db, user.id, { domain: "plans.test", timezone: "UTC" })).site;
  siteId = site.id;
  await createGoal(db, siteId, { kind: "event", eventName: "Signup" });
  await createGoal(db, siteId, { kind: "page", pagePath: "/docs*" });
  const random = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { seed: 7, numRuns: 10_000 });
  let r = 0;
  const pick = <T>(list: T[]) => list[random[r++ % random.length]! % list.length]!;
  const batch: PreparedEvent[] = [];
  for (let visitor = 0; visitor < 60; visitor++) {
    const who = { ip: `198.51.100.${visitor + 1}`, userAgent: pick(AGENTS), country: pick(COUNTRIES) };
    let at = NOW.getTime() - (2 + (visitor % 9)) * 86_400_000 + visitor * 60_000;
    // Most visitors come back within the day: their visits are the multi-visit rows.
    for (let visit = 0, visits = pick([1, 2, 2, 3]); visit < visits; visit++) {
      const referrer = pick(REFERRERS);
      for (let n = 0, views = pick([1, 2, 3]); n < views; n++) {
        const page = pick(PAGES);
        const events = [{ name: "pageview", page }, ...(page === "/signup" && pick([true, false]) ? [{ name: "Signup", page }] : [])];
        for (const e of events) {
          const payload = { name: e.name, url: `https://${site.domain}${e.page}`, domain: site.domain, referrer: n === 0 ? referrer : "" };
          batch.push((await prepareEvent(servicesFor(db), payload, { ...who, now: new Date(at) }))!);
          at += 1000;
        }
        at += 60_000;
      }
      at += 45 * 60_000;
    }
  }
  batch.sort((a, b) => a.ts.getTime() - b.ts.getTime());
  await writeBatch(db, batch);
  columnar = await Columnar.open({ path: "memory", memoryMb: 128, threads: 1 });
  await syncSite(columnar, db, { id: siteId, timezone: "UTC" }, NOW);
  goals = await goalDefinitions(db, siteId);
}, 120_000);

afterAll(async () => {
  await columnar?.close();
});

const VALUES: Record<string, string[]> = {
  page: [...PAGES, "/nowhere"],
  entry_page: PAGES,
  source: ["Google", "Twitter", "Direct / None"],
  country: COUNTRIES.filter(Boolean),
  device: ["Desktop", "Mobile"],
  browser: ["Chrome", "Safari"],
  goal: ["Signup", "Visit /docs*"],
};

const filterArb: fc.Arbitrary<Filter> = fc
  .constantFrom(...Object.keys(VALUES))
  .chain((dimension) =>
    fc.record({
      dimension: fc.constant(dimension),
      operator: dimension === "goal" ? fc.constantFrom("is", "is_not") : fc.constantFrom("is", "is_not", "contains"),
      values: fc.subarray(VALUES[dimension]!, { minLength: 1, maxLength: 2 }),
    }),
  ) as fc.Arbitrary<Filter>;

const sorted = (rows: unknown[]) => rows.map((row) => JSON.stringify(row)).sort();

describe("multi-visit rows", () => {
  it("are the same whether read once for every breakdown, by each breakdown, or unpivoted", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(filterArb, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.integer({ min: 1, max: 10 }), async (filters, hours, days) => {
        const to = "2026-03-14";
        const from = new Date(Date.parse(to) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
        const scope = { siteId, from, to, filters, goals };
        const sets = await pathSets(columnar, scope);
        const shared = await multiVisitRows(columnar, scope, sets, "UTC", hours, "shared");
        const perBranch = await multiVisitRows(columnar, scope, sets, "UTC", hours, "per-branch");
        const unpivoted = await multiVisitRows(columnar, scope, sets, "UTC", hours, "unpivot");
        expect(sorted(perBranch)).toEqual(sorted(shared));
        expect(sorted(unpivoted)).toEqual(sorted(shared));
      }),
      { numRuns: 40, seed: 11 },
    );
    // The property meant something: the site has multi-visit rows for the plans to count.
    const everything = { siteId, from: "2026-03-01", to: "2026-03-14", filters: [{ dimension: "page", operator: "is_not", values: ["/nowhere"] }] as Filter[], goals };
    const rows = await multiVisitRows(columnar, everything, await pathSets(columnar, everything), "UTC", false, "per-branch");
    expect(rows.filter((row) => row.g === -1).reduce((sum, row) => sum + row.n, 0)).toBeGreaterThan(20);
  }, 120_000);
});

/** Rows summed per (breakdown, value), without values that no visit or view is left with. */
const byValue = (rows: Row[]) => {
  const sums = new Map<string, [number, number, number, number]>();
  for (const row of rows) {
    const key = `${row.g} ${row.value}`;
    const sum = sums.get(key) ?? [0, 0, 0, 0];
    sums.set(key, [sum[0] + row.visitors, sum[1] + row.n, sum[2] + row.bounces, sum[3] + row.duration]);
  }
  // Bounces and durations are figures of the totals only: breakdowns show visitors and counts.
  return [...sums]
    .filter(([key, [, n]]) => key.startsWith("-1 ") || n > 0)
    .map(([key, sum]) => [key, key.startsWith("-1 ") ? sum : sum.slice(0, 2)] as const)
    .sort(([a], [b]) => (a < b ? -1 : 1));
};

describe("figures by subtraction", () => {
  const visitFilterArb = filterArb.filter((f) => f.dimension !== "page" && f.dimension !== "goal");

  it("equal the figures counted from the kept rows, for any visit filters that drop few visits", async () => {
    let subtracted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(visitFilterArb, { minLength: 1, maxLength: 2 }), fc.integer({ min: 1, max: 10 }), async (filters, days) => {
        const to = "2026-03-14";
        const from = new Date(Date.parse(to) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
        const scope = { siteId, from, to, filters, goals };
        if (!(await planRange(columnar, scope, false, false)).complement) return;
        subtracted++;
        const [visits, pageviews] = await complementRows(columnar, scope);
        const [countedVisits, countedPageviews] = await countedRows(columnar, scope, await pathSets(columnar, scope), "UTC", false, false, "shared");
        expect(byValue(visits)).toEqual(byValue(countedVisits));
        expect(byValue(pageviews).map(([key, [visitors, n]]) => [key, key.startsWith("-1 ") ? 0 : visitors, n])).toEqual(
          byValue(countedPageviews).map(([key, [visitors, n]]) => [key, key.startsWith("-1 ") ? 0 : visitors, n]),
        );
      }),
      { numRuns: 80, seed: 5 },
    );
    // The property meant something: many of the filter sets were figured by subtraction.
    expect(subtracted).toBeGreaterThan(15);
  }, 120_000);

  it("hold over ranges of years, whose visitor keys need more than 64 bits", async () => {
    const scope = { siteId, from: "2023-01-01", to: "2026-03-14", filters: [{ dimension: "country", operator: "is_not", values: ["DE"] }] as Filter[], goals };
    expect((await planRange(columnar, scope, false, false)).complement).toBe(true);
    const [visits, pageviews] = await complementRows(columnar, scope);
    const [countedVisits, countedPageviews] = await countedRows(columnar, scope, await pathSets(columnar, scope), "UTC", false, false, "shared");
    expect(byValue(visits)).toEqual(byValue(countedVisits));
    expect(byValue(pageviews).filter(([key]) => !key.startsWith("-1 "))).toEqual(byValue(countedPageviews).filter(([key]) => !key.startsWith("-1 ")));
  });

  it("are not taken where the filters drop most visits, hours are asked or today's rows are read", async () => {
    const scope = (filters: Filter[]) => ({ siteId, from: "2026-03-01", to: "2026-03-14", filters, goals });
    expect((await planRange(columnar, scope([{ dimension: "country", operator: "is_not", values: ["DE"] }]), false, false)).complement).toBe(true);
    expect((await planRange(columnar, scope([{ dimension: "country", operator: "is", values: ["DE"] }]), false, false)).complement).toBe(false);
    expect((await planRange(columnar, scope([{ dimension: "country", operator: "is_not", values: ["DE"] }]), false, true)).complement).toBe(false);
    expect((await planRange(columnar, scope([{ dimension: "country", operator: "is_not", values: ["DE"] }]), true, false)).complement).toBe(false);
    expect((await planRange(columnar, scope([{ dimension: "page", operator: "is_not", values: ["/"] }]), false, false)).complement).toBe(false);
  });
});
