import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { callerAt } from "../../test/support/ingest.js";
import { createSite } from "../sites/sites.js";
import { expectCode, member, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { invalidateStats } from "./cache.js";

import { NOW, TIMEZONE, ingestFixture } from "../../test/fixtures/stats.js";
import { dashboardAt } from "../../test/support/services.js";

let db: Db;
let site: { id: string; domain: string; timezone: string };
let owner: Awaited<ReturnType<typeof signedIn>>;
const TWO_DAYS = { key: "custom" as const, from: "2026-03-10", to: "2026-03-11" };

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "owner");
  site = (await createSite(db, owner.user.id, { domain: "fixture.test", timezone: TIMEZONE })).site;
  const elsewhere = (await createSite(db, owner.user.id, { domain: "elsewhere.test", timezone: "UTC" })).site;
  await ingestFixture(db, site.domain);
  // Goals are part of every figure the cache keeps: the equality checks below cover them too.
  for (const goal of [{ kind: "event", eventName: "Signup" }, { kind: "page", pagePath: "/pricing" }, { kind: "page", pagePath: "/blog/*" }] as const) {
    await owner.caller.goals.create({ site: site.domain, ...goal });
  }
  // The same people on another site must not show up on this one.
  await ingestFixture(db, elsewhere.domain);
});

const stats = (input: Record<string, unknown>) => callerAt(NOW, { db, sessionToken: owner.token }).stats.dashboard({ site: site.domain, filters: [], ...input } as never);
const breakdown = (dimension: string, extra: Record<string, unknown> = {}) =>
  callerAt(NOW, { db, sessionToken: owner.token }).stats.breakdown({ site: site.domain, period: TWO_DAYS, filters: [], dimension, ...extra } as never);

describe("totals", () => {
  it("count visitors per day, visits by the 30-minute rule, pageviews, bounces and duration", async () => {
    const result = await stats({ period: TWO_DAYS });
    // Bob on both New York days counts twice: visitor ids are salted per day, as in Plausible.
    expect(result.totals).toEqual({ visitors: 4, visits: 5, pageviews: 10, viewsPerVisit: 2, bounceRate: 40, visitDuration: 792 });
    expect(result.previous).toBeNull();
    expect(result.range).toMatchObject({ from: "2026-03-10", to: "2026-03-11", interval: "day" });
  });

  it("put events on New York days, not UTC days", async () => {
    const result = await stats({ period: TWO_DAYS });
    expect(result.series).toEqual([
      { bucket: "2026-03-10", visitors: 2, pageviews: 5 },
      { bucket: "2026-03-11", visitors: 2, pageviews: 5 },
    ]);
  });

  it("show today by hour with yesterday as the previous period, and Dave as a current visitor", async () => {
    const result = await stats({ period: { key: "today" } });
    expect(result.range).toMatchObject({ from: "2026-03-12", to: "2026-03-12", interval: "hour" });
    expect(result.totals).toEqual({ visitors: 1, visits: 1, pageviews: 1, viewsPerVisit: 1, bounceRate: 100, visitDuration: 0 });
    expect(result.previous).toEqual({ visitors: 2, visits: 2, pageviews: 5, viewsPerVisit: 2.5, bounceRate: 0, visitDuration: 1350 });
    expect(result.series).toHaveLength(24);
    expect(result.series!.filter((p) => p.visitors > 0)).toEqual([{ bucket: "2026-03-12T11:00", visitors: 1, pageviews: 1 }]);
    expect(result.currentVisitors).toBe(1);
  });

  it("cover the whole week in 7d with zero-filled days", async () => {
    const result = await stats({ period: { key: "7d" } });
    expect(result.totals).toMatchObject({ visitors: 5, visits: 6, pageviews: 11 });
    expect(result.series!.map((p) => p.bucket)).toEqual(["2026-03-06", "2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10", "2026-03-11", "2026-03-12"]);
    expect(result.series!.slice(0, 4).every((p) => p.visitors === 0 && p.pageviews === 0)).toBe(true);
  });

  it("see no current visitors once five minutes have passed", async () => {
    const at = async (now: string) => (await dashboardAt(db, site, { period: { key: "today" }, filters: [], now: new Date(now) })).currentVisitors;
    expect(await at("2026-03-12T16:03:00Z")).toBe(1);
    expect(await at("2026-03-12T16:03:00.001Z")).toBe(0);
  });
});

describe("breakdowns", () => {
  const rows = async (dimension: string) => (await breakdown(dimension)).rows.map((r) => [r.value, r.visitors, r.count, r.percentage]);

  it("rank pages by visitors with pageviews as the count", async () => {
    expect(await rows("page")).toEqual([
      ["/", 3, 3, 75],
      ["/pricing", 3, 3, 75],
      ["/blog/hello", 2, 2, 50],
      ["/docs", 1, 1, 25],
      ["/signup", 1, 1, 25],
    ]);
  });

  it("count visits for the visit-level dimensions", async () => {
    expect(await rows("entry_page")).toEqual([["/", 3, 3, 75], ["/blog/hello", 2, 2, 50]]);
    expect(await rows("source")).toEqual([["", 1, 1, 25], ["Google", 1, 1, 25], ["Hacker News", 1, 1, 25], ["X/Twitter", 1, 1, 25], ["newsletter", 1, 1, 25]]);
    expect(await rows("referrer")).toEqual([["", 2, 2, 50], ["google.com", 1, 1, 25], ["news.ycombinator.com/item", 1, 1, 25], ["t.co/abc", 1, 1, 25]]);
    expect(await rows("utm_source")).toEqual([["", 4, 4, 100], ["newsletter", 1, 1, 25]]);
    expect(await rows("utm_medium")).toEqual([["", 4, 4, 100], ["email", 1, 1, 25]]);
    expect(await rows("utm_campaign")).toEqual([["", 4, 4, 100], ["launch", 1, 1, 25]]);
    expect(await rows("country")).toEqual([["US", 2, 2, 50], ["DE", 1, 2, 25], ["GB", 1, 1, 25]]);
    expect(await rows("device")).toEqual([["Mobile", 2, 2, 50], ["Desktop", 1, 2, 25], ["Tablet", 1, 1, 25]]);
    expect(await rows("browser")).toEqual([["Safari", 3, 3, 75], ["Chrome", 1, 2, 25]]);
    expect(await rows("os")).toEqual([["iOS", 3, 3, 75], ["Windows", 1, 2, 25]]);
  });

  it("return the top N with a flag when there are more", async () => {
    const top = await breakdown("page", { limit: 2 });
    expect(top.rows.map((r) => r.value)).toEqual(["/", "/pricing"]);
    expect(top.more).toBe(true);
    expect((await breakdown("page", { limit: 5 })).more).toBe(false);
    const dashboard = await stats({ period: TWO_DAYS, limit: 1 });
    expect(dashboard.breakdowns.map((b) => b.dimension)).toEqual(["page", "entry_page", "source", "referrer", "utm_source", "utm_medium", "utm_campaign", "country", "device", "browser", "os"]);
    expect(dashboard.breakdowns.every((b) => b.rows.length === 1 && b.more)).toBe(true);
  });

  it("refuse limits over 100 and unknown dimensions", async () => {
    await expectCode(breakdown("page", { limit: 101 }), "BAD_REQUEST");
    await expectCode(breakdown("visitor_id"), "BAD_REQUEST");
    await expectCode(stats({ period: TWO_DAYS, limit: 0 }), "BAD_REQUEST");
  });
});

describe("the day cache", () => {
  it("gives exactly what the raw tables give, cold and warm, for every period", async () => {
    const periods = [TWO_DAYS, { key: "today" }, { key: "7d" }, { key: "30d" }, { key: "month" }, { key: "12mo" }] as const;
    const filters = [
      [],
      [{ dimension: "page" as const, operator: "is" as const, values: ["/pricing"] }],
      [{ dimension: "goal" as const, operator: "is" as const, values: ["Signup"] }],
      [{ dimension: "goal" as const, operator: "is_not" as const, values: ["Visit /pricing"] }],
    ];
    for (const period of periods) {
      for (const f of filters) {
        const input = { period, filters: f, now: NOW };
        const raw = await dashboardAt(db, site, { ...input, cache: false });
        expect(await dashboardAt(db, site, input)).toEqual(raw);
        expect(await dashboardAt(db, site, input)).toEqual(raw);
      }
    }
    // Hand-counted, 2026-03-10 and 11: Alice signs up once; Alice, Bob and Carol see /pricing; the
    // blog is read by Alice and Bob.
    const goals = (await dashboardAt(db, site, { period: TWO_DAYS, filters: [], now: NOW })).goals;
    expect(goals.map((g) => [g.name, g.visitors, g.conversions, g.conversionRate])).toEqual([
      ["Visit /pricing", 3, 3, 75],
      ["Visit /blog/*", 2, 2, 50],
      ["Signup", 1, 1, 25],
    ]);
    const cached = await db.selectFrom("stats_day_cache").select("day").where("site_id", "=", site.id).execute();
    expect(cached.length).toBeGreaterThan(0);
    expect(cached.every((r) => r.day < "2026-03-12")).toBe(true);
  });

  it("keeps finished days parsed in memory, and forgets them with the site's cache", async () => {
    const input = { period: { key: "7d" as const }, filters: [], now: NOW };
    const raw = await dashboardAt(db, site, { ...input, cache: false });
    expect(await dashboardAt(db, site, input)).toEqual(raw);
    // Rows changed behind the process's back are not read again: the days come from memory.
    await db.updateTable("stats_day_cache").set({ payload: JSON.stringify({ visitors: 1e6 }) as never }).where("site_id", "=", site.id).execute();
    expect(await dashboardAt(db, site, input)).toEqual(raw);
    await invalidateStats(db, site.id);
    expect(await dashboardAt(db, site, input)).toEqual(raw);
  });
});

describe("access", () => {
  it("lets a viewer read the stats", async () => {
    const viewer = await member(db, site.id, "viewer");
    const result = await callerAt(NOW, { db, sessionToken: viewer.token }).stats.dashboard({ site: site.domain, period: TWO_DAYS, filters: [] });
    expect(result.totals.visits).toBe(5);
  });

  it("answers NOT_FOUND to a member of another site", async () => {
    const stranger = await signedIn(db, "stranger");
    await createSite(db, stranger.user.id, { domain: "stranger.test", timezone: "UTC" });
    const caller = callerAt(NOW, { db, sessionToken: stranger.token });
    await expectCode(caller.stats.dashboard({ site: site.domain, period: TWO_DAYS, filters: [] }), "NOT_FOUND");
    await expectCode(caller.stats.breakdown({ site: site.domain, period: TWO_DAYS, filters: [], dimension: "page", limit: 10 }), "NOT_FOUND");
  });

  it("refuses a segment smuggled into the input and impossible dates", async () => {
    const error = await expectCode(stats({ period: TWO_DAYS, segmentFilters: [] }), "BAD_REQUEST");
    expect(error.message).toMatch(/segmentFilters/);
    const date = await expectCode(stats({ period: { key: "custom", from: "2026-02-30", to: "2026-03-01" } }), "BAD_REQUEST");
    expect(date.message).toBe("Use a real start date like 2026-01-31");
  });
});

describe("a rewrite of finished days by another instance", () => {
  it("shows at once: kept days are kept per stats version, not only until this process clears them", async () => {
    const input = { period: TWO_DAYS, filters: [], now: NOW };
    const before = await dashboardAt(db, site, input);
    // What invalidateStats does in the database, from another process: this one's memory is not told.
    await db.transaction().execute(async (trx) => {
      await trx.deleteFrom("events").where("site_id", "=", site.id).where("day", "=", "2026-03-10").execute();
      await trx.deleteFrom("visits").where("site_id", "=", site.id).where("day", "=", "2026-03-10").execute();
      await trx.updateTable("sites").set((eb) => ({ stats_version: eb("stats_version", "+", 1) })).where("id", "=", site.id).execute();
      await trx.deleteFrom("stats_day_cache").where("site_id", "=", site.id).execute();
    });
    const after = await dashboardAt(db, site, input);
    expect(after).toEqual(await dashboardAt(db, site, { ...input, cache: false }));
    expect(after.totals.pageviews).toBeLessThan(before.totals.pageviews);
  });
});

describe("a view kept a few seconds", () => {
  it("is asked again at once after a goal is added or finished days are rewritten", async () => {
    // The wall clock: views are kept for seconds, as for every request.
    const input = { period: TWO_DAYS, filters: [] };
    const before = await dashboardAt(db, site, input);
    expect(await dashboardAt(db, site, input)).toBe(before);
    await owner.caller.goals.create({ site: site.domain, kind: "page", pagePath: "/" });
    const withGoal = await dashboardAt(db, site, input);
    expect(withGoal.goals.length).toBe(before.goals.length + 1);
    await db.deleteFrom("events").where("site_id", "=", site.id).where("day", "=", "2026-03-11").execute();
    await db.deleteFrom("visits").where("site_id", "=", site.id).where("day", "=", "2026-03-11").execute();
    await invalidateStats(db, site.id);
    const rewritten = await dashboardAt(db, site, input);
    expect(rewritten.totals.pageviews).toBeLessThan(withGoal.totals.pageviews);
    expect(rewritten).toEqual(await dashboardAt(db, site, { ...input, cache: false }));
  });
});

