import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { freshDb } from "../../test/support/db.js";
import { anonymous, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { fixtureFiles, importFiles } from "../../test/support/imports.js";
import { createGoal } from "../goals/goals.js";
import type { StatsSite } from "../stats/dashboard.js";
import { MAX_DAY_SUM } from "./parse-csv.js";
import { dashboardAt } from "../../test/support/services.js";
import type { Period } from "../schemas/stats.js";
import { renderDashboardMarkup } from "../../test/support/render-dashboard.js";

let db: Db;
let site: StatsSite;
const NOW = new Date("2026-03-15T12:00:00Z");

beforeAll(async () => {
  db = await freshDb();
  const { user } = await signedIn(db, "dashboards");
  const row = await siteOwnedBy(db, user.id);
  site = { id: row.id, domain: row.domain, timezone: row.timezone };
  await createGoal(db, site.id, { kind: "event", eventName: "Signup" });
  await importFiles(db, site.id, user.id, fixtureFiles());
});

const view = (period: Period, filters: Parameters<typeof dashboardAt>[2]["filters"] = []) =>
  dashboardAt(db, site, { period, filters, now: NOW, cache: false, limit: 100 });
const rows = (stats: Awaited<ReturnType<typeof view>>, dimension: string) =>
  Object.fromEntries(stats.breakdowns.find((b) => b.dimension === dimension)!.rows.map((r) => [r.value, [r.visitors, r.count]]));

describe("imported days on the dashboard", () => {
  it("totals and the series come from imported_visitors: 99 pageviews over 2011-12-25…30", async () => {
    const stats = await view({ key: "custom", from: "2011-12-25", to: "2011-12-30" });
    expect(stats.totals).toMatchObject({ visitors: 22, visits: 29, pageviews: 99 });
    // 16 bounces of 29 visits; 13,396 s over 29 visits.
    expect(stats.totals.bounceRate).toBe(Math.round((16 / 29) * 100));
    expect(stats.totals.visitDuration).toBe(Math.round(13396 / 29));
    expect(stats.series!.map((p) => p.pageviews)).toEqual([50, 4, 6, 30, 8, 1]);
    expect(stats.imported).toEqual({ days: 6, leftOut: false });
  });

  it("each breakdown comes from its table: countries by ISO code, devices, sources, pages", async () => {
    const stats = await view({ key: "custom", from: "2021-12-30", to: "2022-01-06" });
    expect(rows(stats, "device")).toEqual({ Desktop: [45, 54], Mobile: [99, 105], Tablet: [11, 11] });
    expect(rows(stats, "country")).toEqual({ AU: [4, 5], BE: [1, 1], US: [1, 3] });
    expect(rows(stats, "source")).toMatchObject({ "": [25, 26], Google: [20, 22], Bing: [4, 4] });
    expect(rows(stats, "utm_medium")).toMatchObject({ organic: [24, 26] });
    expect(rows(stats, "page")["/14776416252794997127"]).toEqual([7, 7]);
    expect(rows(stats, "entry_page")["/9874837495456455794"]).toEqual([31, 31]);
    expect(rows(stats, "os")).toMatchObject({ Android: [25, 26], "Chrome OS": [1, 1] });
  });

  it("breakdowns of days without imported_visitors rows are shown, not an empty period (Plausible's fixture: visitors in 2011, the rest from 2021-12-30)", async () => {
    const stats = await view({ key: "custom", from: "2021-12-30", to: "2022-01-06" });
    expect(stats.totals).toMatchObject({ visitors: 0, pageviews: 0 });
    // Days with rows in any table the view reads: 2021-12-30, 2021-12-31, 2022-01-01 and 2022-01-06.
    expect(stats.imported).toEqual({ days: 4, leftOut: false });
    const html = await renderDashboardMarkup({ stats, basePath: `/sites/${site.domain}`, search: "?period=custom&from=2021-12-30&to=2022-01-06", mode: "member" });
    expect(html).not.toContain("No visitors in this period yet");
    expect(html).toContain("Includes 4 days of imported history");
    expect(html).toContain("The import has no totals for this period (no imported_visitors rows)");
    expect(html).toContain(">Desktop</a>");
    expect(html).toContain(">/14776416252794997127</a>");
  });

  it("custom events count toward the goal of the same name", async () => {
    const stats = await view({ key: "custom", from: "2021-12-30", to: "2021-12-31" });
    expect(stats.goals.find((g) => g.name === "Signup")).toMatchObject({ visitors: 3, conversions: 4 });
  });

  it("a filter on the dimensions of one imported table takes that table's rows that pass it: totals, series and its own breakdowns", async () => {
    const stats = await view({ key: "custom", from: "2021-12-30", to: "2022-01-06" }, [{ dimension: "country", operator: "is", values: ["AU"] }]);
    // imported_locations, AU on 2021-12-30: two rows of 1 and 3 visitors, 1 and 4 visits, 43 and 211 s, 0 and 3 bounces.
    expect(stats.totals).toMatchObject({ visitors: 4, visits: 5, bounceRate: Math.round((3 / 5) * 100), visitDuration: Math.round(254 / 5) });
    expect(stats.series!.find((p) => p.bucket === "2021-12-30")).toMatchObject({ visitors: 4 });
    expect(rows(stats, "country")).toEqual({ AU: [4, 5] });
    // Other tables cannot tell which of their rows were Australians': their sections are the site's own data.
    expect(rows(stats, "device")).toEqual({});
    expect(stats.imported).toEqual({ days: 1, leftOut: false, sections: ["country"] });
    const html = await renderDashboardMarkup({ stats, basePath: `/sites/${site.domain}`, search: "?period=custom&from=2021-12-30&to=2022-01-06&f=country,is,AU", mode: "member" });
    expect(html).toContain("Includes 1 day of imported history in the totals, the chart and Countries");

    // A source and a UTM medium are both in imported_sources: its breakdowns answer them together.
    const google = await view({ key: "custom", from: "2021-12-30", to: "2022-01-06" }, [
      { dimension: "source", operator: "is", values: ["Google"] },
      { dimension: "utm_medium", operator: "contains", values: ["ORGAN"] },
    ]);
    expect(google.totals).toMatchObject({ visitors: 20, visits: 22 });
    expect(rows(google, "utm_medium")).toEqual({ organic: [20, 22] });
    expect(google.imported).toMatchObject({ leftOut: false, sections: ["source", "referrer", "utm_source", "utm_medium", "utm_campaign"] });
  });

  it("a filter whose table has no rows in the period leaves imported days out, naming the table's sections", async () => {
    const stats = await view({ key: "custom", from: "2011-12-25", to: "2011-12-30" }, [{ dimension: "country", operator: "is", values: ["DE"] }]);
    expect(stats.totals.pageviews).toBe(0);
    expect(stats.imported).toEqual({ days: 0, leftOut: true, sections: ["country"] });
    const html = await renderDashboardMarkup({ stats, basePath: `/sites/${site.domain}`, search: "?period=custom&from=2011-12-25&to=2011-12-30&f=country,is,DE", mode: "member" });
    expect(html).toContain("Imported data is left out: the imported table that answers these filters has no rows that pass them in this period");
  });

  it("filters of two imported tables, or on pages or goals, leave imported days out, and the view says so", async () => {
    for (const filters of [
      [{ dimension: "country", operator: "is", values: ["AU"] }, { dimension: "device", operator: "is", values: ["Mobile"] }],
      [{ dimension: "page", operator: "is", values: ["/14776416252794997127"] }],
      [{ dimension: "goal", operator: "is", values: ["Signup"] }],
    ] as Parameters<typeof view>[1][]) {
      const stats = await view({ key: "custom", from: "2021-12-30", to: "2022-01-06" }, filters);
      expect(stats.totals.visitors).toBe(0);
      expect(stats.breakdowns.every((b) => b.rows.length === 0)).toBe(true);
      expect(stats.imported).toEqual({ days: 0, leftOut: true });
    }
  });

  it("periods without imported days say nothing", async () => {
    const stats = await view({ key: "30d" });
    expect(stats.imported).toBeNull();
  });

  it("admins can switch imported data off", async () => {
    await db.updateTable("sites").set({ include_imported: false }).where("id", "=", site.id).execute();
    try {
      const stats = await view({ key: "custom", from: "2011-12-25", to: "2011-12-30" });
      expect(stats.totals.pageviews).toBe(0);
      expect(stats.imported).toBeNull();
    } finally {
      await db.updateTable("sites").set({ include_imported: true }).where("id", "=", site.id).execute();
    }
  });
});

describe("the largest days an import takes", () => {
  it("sum over ten years without overflowing, on member and shared dashboards", async () => {
    const { user, caller } = await signedIn(db, "largest");
    const row = await siteOwnedBy(db, user.id);
    const largest: StatsSite = { id: row.id, domain: row.domain, timezone: row.timezone };
    const days = Array.from({ length: 3660 }, (_, i) => new Date(Date.UTC(2010, 0, 1) + i * 86_400_000).toISOString().slice(0, 10));
    const last = days.at(-1)!.replaceAll("-", "");
    const most = MAX_DAY_SUM;
    const result = await importFiles(db, largest.id, user.id, [
      { name: `imported_visitors_20100101_${last}.csv`, data: Buffer.from(`date,visitors,visits,pageviews,bounces,visit_duration\n${days.map((d) => `${d},${most},${most},${most},${most},${most}`).join("\n")}\n`) },
      { name: `imported_pages_20100101_${last}.csv`, data: Buffer.from(`date,page,visitors,pageviews\n${days.map((d) => `${d},/,${most},${most}`).join("\n")}\n`) },
    ]);
    expect(result.status).toBe("completed");
    const period = { key: "custom" as const, from: days[0]!, to: days.at(-1)! };
    const stats = await dashboardAt(db, largest, { period, filters: [], now: NOW, cache: false, limit: 10 });
    expect(stats.totals.pageviews).toBe(3660 * most);
    expect(stats.totals.visitDuration).toBe(1);
    expect(stats.breakdowns.find((b) => b.dimension === "page")!.rows[0]).toMatchObject({ value: "/", count: 3660 * most });
    const { slug } = await caller.sharedLinks.create({ site: largest.domain, name: "Largest" });
    const shared = await anonymous(db, "203.0.113.81").share.stats({ slug, period, filters: [] });
    expect(shared.totals.pageviews).toBe(3660 * most);
  });
});
