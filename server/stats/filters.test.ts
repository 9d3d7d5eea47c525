import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { callerAt } from "../../test/support/ingest.js";
import type { Dimension, Filter, Operator } from "../schemas/filters.js";
import { createSite } from "../sites/sites.js";
import { signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";

import { NOW, TIMEZONE, ingestFixture } from "../../test/fixtures/stats.js";
import { dashboardAt } from "../../test/support/services.js";

let db: Db;
let site: { id: string; domain: string; timezone: string };
let token: string;
const PERIOD = { key: "custom" as const, from: "2026-03-10", to: "2026-03-11" };

beforeAll(async () => {
  db = await freshDb();
  const owner = await signedIn(db, "owner");
  token = owner.token;
  site = (await createSite(db, owner.user.id, { domain: "filters.test", timezone: TIMEZONE })).site;
  await ingestFixture(db, site.domain);
});

const totals = async (filters: Filter[]) => {
  const result = await callerAt(NOW, { db, sessionToken: token }).stats.dashboard({ site: site.domain, period: PERIOD, filters });
  const { visitors, visits, pageviews } = result.totals;
  return [visitors, visits, pageviews];
};

/**
 * Expected [visitors, visits, pageviews] worked out by hand from the visits in fixture.ts:
 * A1 (3 pv), A2 (1), B1 (1), B2 (2), C1 (3); Alice is one visitor, Bob two (one per day).
 */
const CASES: [Dimension, Operator, string[], [number, number, number]][] = [
  ["page", "is", ["/pricing"], [3, 3, 3]],
  ["page", "is_not", ["/"], [4, 5, 7]],
  ["page", "contains", ["BLOG"], [2, 2, 2]],
  ["entry_page", "is", ["/"], [3, 3, 8]],
  ["entry_page", "is_not", ["/"], [2, 2, 2]],
  ["entry_page", "contains", ["blog"], [2, 2, 2]],
  ["source", "is", ["Google"], [1, 1, 3]],
  ["source", "is_not", ["Google", "X/Twitter"], [3, 3, 6]],
  ["source", "contains", ["news"], [2, 2, 4]],
  ["referrer", "is", ["google.com", "t.co/abc"], [2, 2, 4]],
  ["referrer", "is_not", ["google.com"], [4, 4, 7]],
  ["referrer", "contains", ["t.co"], [1, 1, 1]],
  ["utm_source", "is", ["newsletter"], [1, 1, 1]],
  ["utm_source", "is_not", ["newsletter"], [4, 4, 9]],
  ["utm_source", "contains", ["letter"], [1, 1, 1]],
  ["utm_medium", "is", ["email"], [1, 1, 1]],
  ["utm_medium", "is_not", ["email"], [4, 4, 9]],
  ["utm_medium", "contains", ["MAI"], [1, 1, 1]],
  ["utm_campaign", "is", ["launch"], [1, 1, 1]],
  ["utm_campaign", "is_not", ["launch"], [4, 4, 9]],
  ["utm_campaign", "contains", ["aun"], [1, 1, 1]],
  ["country", "is", ["US", "GB"], [3, 3, 6]],
  ["country", "is_not", ["US"], [2, 3, 7]],
  ["country", "contains", ["d"], [1, 2, 4]],
  ["device", "is", ["Mobile"], [2, 2, 3]],
  ["device", "is_not", ["Mobile"], [2, 3, 7]],
  ["device", "contains", ["tab"], [1, 1, 3]],
  ["browser", "is", ["Safari"], [3, 3, 6]],
  ["browser", "is_not", ["Safari"], [1, 2, 4]],
  ["browser", "contains", ["chr"], [1, 2, 4]],
  ["os", "is", ["iOS"], [3, 3, 6]],
  ["os", "is_not", ["iOS"], [1, 2, 4]],
  ["os", "contains", ["win"], [1, 2, 4]],
];

describe("filters", () => {
  it("start from the unfiltered totals", async () => {
    expect(await totals([])).toEqual([4, 5, 10]);
  });

  for (const [dimension, operator, values, expected] of CASES) {
    it(`${dimension} ${operator} ${values.map((v) => JSON.stringify(v)).join(", ")}`, async () => {
      expect(await totals([{ dimension, operator, values }])).toEqual(expected);
    });
  }

  // The filter schema does not accept "" yet, so the empty value ("Direct / None") is checked below the router.
  it("match the empty value for Direct / None and Unknown", async () => {
    const direct = async (operator: Operator, values: string[]) =>
      (await dashboardAt(db, site, { period: PERIOD, filters: [{ dimension: "source", operator, values }], now: NOW })).totals;
    expect(await direct("is", [""])).toMatchObject({ visitors: 1, visits: 1, pageviews: 2 });
    expect(await direct("is_not", ["Google", ""])).toMatchObject({ visitors: 3, visits: 3, pageviews: 5 });
    expect(await direct("contains", [""])).toMatchObject({ visitors: 4, visits: 5, pageviews: 10 });
  });

  it("AND several filters, page filters applying to the same pageview", async () => {
    expect(await totals([{ dimension: "browser", operator: "is", values: ["Safari"] }, { dimension: "country", operator: "is", values: ["US"] }])).toEqual([2, 2, 3]);
    expect(await totals([{ dimension: "page", operator: "contains", values: ["p"] }, { dimension: "page", operator: "is_not", values: ["/pricing"] }])).toEqual([1, 1, 1]);
  });

  it("treat %, _ and backslash in contains as plain characters", async () => {
    for (const value of ["%", "_", "\\", "%pricing"]) {
      expect(await totals([{ dimension: "page", operator: "contains", values: [value] }])).toEqual([0, 0, 0]);
    }
  });

  it("keep SQL in values inert", async () => {
    const evil = "'; drop table events; --";
    for (const operator of ["is", "is_not", "contains"] as const) {
      const expected = operator === "is_not" ? [4, 5, 10] : [0, 0, 0];
      expect(await totals([{ dimension: "source", operator, values: [evil] }])).toEqual(expected);
      expect(await totals([{ dimension: "page", operator, values: [evil] }])).toEqual(expected);
    }
    const events = await db.selectFrom("events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(events.n).toBe(12);
  });
});

describe("segments", () => {
  const MOBILE: Filter[] = [{ dimension: "device", operator: "is", values: ["Mobile"] }];
  const run = (filters: Filter[]) => dashboardAt(db, site, { period: PERIOD, filters, segmentFilters: MOBILE, now: NOW });

  it("narrow every figure, and viewer filters can only narrow further", async () => {
    const segment = await run([]);
    expect(segment.totals).toMatchObject({ visitors: 2, visits: 2, pageviews: 3 });
    expect(segment.breakdowns.find((b) => b.dimension === "device")!.rows.map((r) => r.value)).toEqual(["Mobile"]);
    expect(segment.breakdowns.find((b) => b.dimension === "page")!.rows.map((r) => r.value)).toEqual(["/", "/blog/hello", "/pricing"]);
    expect(segment.series!.map((p) => p.visitors)).toEqual([1, 1]);
    expect(segment.filters).toEqual([]);

    expect((await run([{ dimension: "source", operator: "is", values: [""] }])).totals).toMatchObject({ visitors: 1, visits: 1, pageviews: 2 });
    for (const widen of [
      [{ dimension: "device", operator: "is_not", values: ["Mobile"] }],
      [{ dimension: "device", operator: "is", values: ["Desktop", "Tablet"] }],
    ] as Filter[][]) {
      const result = await run(widen);
      expect(result.totals).toMatchObject({ visitors: 0, visits: 0, pageviews: 0 });
      expect(result.breakdowns.every((b) => b.rows.length === 0)).toBe(true);
    }
  });

  it("apply to current visitors too", async () => {
    const today = { period: { key: "today" as const }, filters: [], now: NOW };
    expect((await dashboardAt(db, site, { ...today, segmentFilters: MOBILE })).currentVisitors).toBe(1);
    expect((await dashboardAt(db, site, { ...today, segmentFilters: [{ dimension: "device", operator: "is", values: ["Desktop"] }] })).currentVisitors).toBe(0);
  });
});
