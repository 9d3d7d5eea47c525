import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { testContext } from "../../test/support/services.js";
import { createCaller } from "../root.js";
import { freshDb } from "../../test/support/db.js";
import { signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { fixtureFiles, importFiles } from "../../test/support/imports.js";

/** Recipients of shared links see imported days within the link's scope, like its own data. */
let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let domain: string;
const recipient = () => createCaller(testContext({ db, ip: "203.0.113.80" }));
const DAYS = { key: "custom" as const, from: "2011-12-25", to: "2011-12-30" };

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "owner");
  const site = await siteOwnedBy(db, owner.user.id);
  domain = site.domain;
  await importFiles(db, site.id, owner.user.id, fixtureFiles());
});

const link = (input: Omit<Parameters<typeof owner.caller.sharedLinks.create>[0], "site">) => owner.caller.sharedLinks.create({ site: domain, ...input });

describe("imported days on shared links", () => {
  it("an open link shows them", async () => {
    const { slug } = await link({ name: "Open" });
    const stats = await recipient().share.stats({ slug, period: DAYS, filters: [] });
    expect(stats.totals.pageviews).toBe(99);
    expect(stats.imported).toEqual({ days: 6, leftOut: false });
  });

  it("a link's date bounds apply to them", async () => {
    const { slug } = await link({ name: "Fixed", dateBounds: { kind: "fixed", from: "2011-12-28", to: "2011-12-30" } });
    const stats = await recipient().share.stats({ slug, period: DAYS, filters: [] });
    expect(stats.totals.pageviews).toBe(30 + 8 + 1);
    expect(stats.series!.map((p) => p.pageviews)).toEqual([30, 8, 1]);
  });

  it("a segment of two imported tables leaves them out, and the page says so", async () => {
    const segment = await owner.caller.segments.create({ site: domain, name: "German phones", filters: [{ dimension: "country", operator: "is", values: ["DE"] }, { dimension: "device", operator: "is", values: ["Mobile"] }] });
    const { slug } = await link({ name: "Segmented", segmentId: segment.id });
    const stats = await recipient().share.stats({ slug, period: DAYS, filters: [] });
    expect(stats.totals.pageviews).toBe(0);
    expect(stats.imported).toEqual({ days: 0, leftOut: true });
  });

  it("a segment one imported table answers takes its rows, and a recipient's filter narrows it the same way", async () => {
    const segment = await owner.caller.segments.create({ site: domain, name: "Phones", filters: [{ dimension: "device", operator: "is", values: ["Mobile"] }] });
    const { slug } = await link({ name: "Phones only", segmentId: segment.id });
    const period = { key: "custom" as const, from: "2021-12-30", to: "2021-12-31" };
    const stats = await recipient().share.stats({ slug, period, filters: [] });
    expect(stats.totals.visitors).toBe(99);
    expect(stats.breakdowns.find((b) => b.dimension === "device")!.rows.map((r) => [r.value, r.visitors])).toEqual([["Mobile", 99]]);
    expect(stats.imported).toMatchObject({ leftOut: false, sections: ["device"] });
    // A country on top is a second table: the recipient sees the site's own data only, never more than the segment.
    const narrowed = await recipient().share.stats({ slug, period, filters: [{ dimension: "country", operator: "is", values: ["AU"] }] });
    expect(narrowed.totals.visitors).toBe(0);
    expect(narrowed.imported).toEqual({ days: 0, leftOut: true });
    // With the devices hidden, the note does not name them.
    const hidden = await link({ name: "Phones, no devices", segmentId: segment.id, visibleSections: ["series", "page"] });
    const quiet = await recipient().share.stats({ slug: hidden.slug, period, filters: [] });
    expect(quiet.totals.visitors).toBe(99);
    expect(quiet.imported).toEqual({ days: 2, leftOut: false, sections: [] });
  });

  it("hidden sections stay hidden", async () => {
    const { slug } = await link({ name: "Countries hidden", visibleSections: ["series", "page", "device"] });
    const stats = await recipient().share.stats({ slug, period: { key: "custom", from: "2021-12-30", to: "2021-12-31" }, filters: [] });
    expect(stats.breakdowns.map((b) => b.dimension)).toEqual(["page", "device"]);
    expect(stats.breakdowns[1]!.rows.map((r) => r.value)).toEqual(["Mobile", "Desktop", "Tablet"]);
  });
});
