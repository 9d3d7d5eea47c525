import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { expectCode, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { spikeOf } from "../shared-links/usage.js";
import { flushViews, testContext } from "../../test/support/services.js";

const PASSWORD = "Usage password 12345";
const WEEK = { key: "7d" as const };
const FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let domain: string;

/** A recipient's browser (a page of the app) or a tool calling the API over HTTP. */
const viewer = (ip: string, surface: "page" | "api" = "page", unlocks = {}) =>
  createCaller(testContext({ db, ip, userAgent: FIREFOX, surface, unlocks, pauses: false }));

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "owner");
  domain = (await siteOwnedBy(db, owner.user.id, "usage.example")).domain;
});

describe("link usage", () => {
  it("counts page views and unique viewers by day; reloads are one viewer, API calls are no views", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Watched" });
    for (let i = 0; i < 3; i++) await viewer("198.51.100.1").share.stats({ slug: link.slug, period: WEEK, filters: [] });
    await viewer("198.51.100.2").share.stats({ slug: link.slug, period: WEEK, filters: [] });
    await viewer("198.51.100.3", "api").share.stats({ slug: link.slug, period: WEEK, filters: [] });
    await flushViews(db);
    const usage = await owner.caller.sharedLinks.usage({ site: domain, id: link.id });
    const today = usage.days.at(-1)!;
    expect(usage.days).toHaveLength(30);
    expect(today).toMatchObject({ views: 4, viewers: 2, failedUnlocks: 0 });
    expect(usage.totals).toEqual({ views: 4, viewers: 2, failedUnlocks: 0 });
    expect(usage.link.viewCount).toBe(4);
    const listed = (await owner.caller.sharedLinks.list({ site: domain })).find((l) => l.id === link.id)!;
    expect(listed).toMatchObject({ viewCount: 4, uniqueViewers30d: 2, failedUnlockSpike: null });
    // Nothing that identifies a viewer is stored: only numbers.
    const stored = await db.selectFrom("link_viewers").selectAll().where("link_id", "=", link.id).execute();
    expect(stored.map((r) => typeof r.viewer)).toEqual(["number", "number"]);
    expect(JSON.stringify(stored)).not.toMatch(/198\.51\.100|Firefox/);
  });

  it("counts failed unlocks by day and flags a spike against the link's usual rate", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Guessed", password: PASSWORD });
    for (let i = 0; i < 3; i++) await expectCode(viewer(`203.0.113.${i + 1}`).share.unlock({ slug: link.slug, password: "wrong password 123" }), "UNAUTHORIZED");
    let usage = await owner.caller.sharedLinks.usage({ site: domain, id: link.id });
    expect(usage.days.at(-1)!.failedUnlocks).toBe(3);
    expect(usage.spike).toBeNull();
    for (let i = 0; i < 17; i++) await expectCode(viewer(`192.0.2.${i + 1}`).share.unlock({ slug: link.slug, password: "wrong password 123" }), "UNAUTHORIZED");
    usage = await owner.caller.sharedLinks.usage({ site: domain, id: link.id });
    expect(usage.spike).toEqual({ lastHour: 20, usualPerHour: 0 });
    const listed = (await owner.caller.sharedLinks.list({ site: domain })).find((l) => l.id === link.id)!;
    expect(listed.failedUnlockSpike).toEqual({ lastHour: 20, usualPerHour: 0 });
  });

  it("calls a spike only what is far above the link's own usual rate", () => {
    const now = new Date("2026-11-20T12:30:00Z");
    const hour = (h: number) => new Date(Date.UTC(2026, 10, 20, 12 - h));
    // A link that sees 10 failed unlocks an hour all week: 25 now is busy, not a spike.
    const busy = Array.from({ length: 7 * 24 }, (_, h) => ({ hour: hour(h + 2), failures: 10 }));
    expect(spikeOf([...busy, { hour: hour(0), failures: 25 }], now)).toBeNull();
    expect(spikeOf([...busy, { hour: hour(0), failures: 60 }], now)).toEqual({ lastHour: 60, usualPerHour: 10 });
    expect(spikeOf([{ hour: hour(0), failures: 19 }], now)).toBeNull();
    expect(spikeOf([{ hour: hour(1), failures: 12 }, { hour: hour(0), failures: 8 }], now)).toEqual({ lastHour: 20, usualPerHour: 0 });
  });
});
