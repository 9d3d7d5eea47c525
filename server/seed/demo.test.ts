import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { listLinks } from "../shared-links/links.js";

import { createCaller } from "../root.js";
import { expectCode } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { DEMO, seedDemo, seedIfEmpty } from "./demo.js";
import { dashboardAt, testContext } from "../../test/support/services.js";

let db: Db;
let lines: string[] = [];
let site: { id: string; domain: string; timezone: string };

beforeAll(async () => {
  db = await freshDb();
  expect(await seedIfEmpty(db, (line) => lines.push(line))).toBe(true);
  site = await db.selectFrom("sites").select(["id", "domain", "timezone"]).where("domain", "=", DEMO.domain).executeTakeFirstOrThrow();
});

const one = async <T>(query: ReturnType<typeof sql<T>>) => (await query.execute(db)).rows[0]!;

describe("the demo seed", () => {
  it("prints progress, the login and both share URLs", () => {
    expect(lines.some((l) => /Seeding demo traffic: \d+%/.test(l))).toBe(true);
    const text = lines.join("\n");
    expect(text).toContain(`${DEMO.email} / ${DEMO.password}`);
    expect(text).toMatch(/\/share\/[A-Za-z0-9_-]{21}/);
    expect(text).toContain(DEMO.protectedLinkPassword);
  });

  it("writes at least 50k events over 90+ days with the variety a dashboard needs", async () => {
    const shape = await one(sql<Record<string, number>>`
      select count(*)::int8 as events, count(distinct day)::int8 as days, count(distinct pathname)::int8 as pages,
        count(distinct country)::int8 as countries, count(distinct device)::int8 as devices,
        count(distinct browser)::int8 as browsers, count(distinct os)::int8 as oses,
        count(distinct utm_campaign)::int8 as campaigns
      from events where site_id = ${site.id}`);
    expect(shape.events).toBeGreaterThanOrEqual(50_000);
    expect(shape.days).toBeGreaterThanOrEqual(90);
    expect(shape.pages).toBeGreaterThanOrEqual(30);
    expect(shape.countries).toBeGreaterThanOrEqual(8);
    expect(shape.devices).toBe(3);
    expect(shape.browsers).toBeGreaterThanOrEqual(5);
    expect(shape.oses).toBeGreaterThanOrEqual(5);
    expect(shape.campaigns).toBeGreaterThanOrEqual(3);
    const sources = (await db.selectFrom("visits").select("referrer_source").distinct().where("site_id", "=", site.id).execute()).map((r) => r.referrer_source);
    expect(sources).toEqual(expect.arrayContaining(["", "Google", "X/Twitter", "Hacker News", "newsletter"]));
  });

  it("keeps visits consistent with their events, and weekends quieter than weekdays", async () => {
    const check = await one(sql<Record<string, number>>`
      select (select sum(pageviews) from visits where site_id = ${site.id})::int8 as visit_pageviews,
        (select count(*) from events where site_id = ${site.id} and name = 'pageview')::int8 as pageviews,
        (select count(*) from events e join visits v on v.site_id = e.site_id and v.session_id = e.session_id
          where e.site_id = ${site.id} and (e.day <> v.day or e.ts < v.started_at or e.ts > v.ended_at))::int8 as strays`);
    expect(check.visit_pageviews).toBe(check.pageviews);
    expect(check.strays).toBe(0);
    const rhythm = await one(sql<{ weekend: number; weekday: number }>`
      select avg(n) filter (where extract(isodow from day) >= 6)::float8 as weekend,
        avg(n) filter (where extract(isodow from day) < 6)::float8 as weekday
      from (select day, count(*) as n from visits where site_id = ${site.id} group by day) d`);
    expect(rhythm.weekend).toBeLessThan(rhythm.weekday * 0.8);
  });

  it("creates the segment and the open and protected links", async () => {
    const links = await listLinks(db, site.id);
    expect(links.find((l) => l.name === DEMO.openLink)).toMatchObject({ hasPassword: false, segment: null });
    expect(links.find((l) => l.name === DEMO.protectedLink)).toMatchObject({ hasPassword: true, segment: { name: DEMO.segment } });
    const scoped = links.find((l) => l.name === DEMO.scopedLink);
    expect(scoped).toMatchObject({ state: "active", allowFilters: false, allowExport: true, dateBounds: { kind: "fixed" } });
    expect(scoped!.dateBounds!.from.endsWith("-01")).toBe(true);
  });

  it("shows traffic on the dashboard, now included", async () => {
    const stats = await dashboardAt(db, site, { period: { key: "30d" }, filters: [] });
    expect(stats.totals.visitors).toBeGreaterThan(1000);
    expect(stats.totals.bounceRate).toBeGreaterThan(20);
    expect(stats.totals.bounceRate).toBeLessThan(70);
    expect(stats.currentVisitors).toBeGreaterThan(0);
  });

  it("defines goals that convert at believable rates, with a plan on every signup", async () => {
    const stats = await dashboardAt(db, site, { period: { key: "30d" }, filters: [] });
    const rate = (name: string) => stats.goals.find((g) => g.name === name)!.conversionRate;
    expect(stats.goals.map((g) => g.name).sort()).toEqual(["Read a blog post", "Signup", "Visit /pricing"]);
    expect(rate("Signup")).toBeGreaterThan(0.5);
    expect(rate("Signup")).toBeLessThan(10);
    expect(rate("Visit /pricing")).toBeGreaterThan(5);
    expect(rate("Visit /pricing")).toBeLessThan(40);
    const signups = await dashboardAt(db, site, { period: { key: "30d" }, filters: [{ dimension: "goal", operator: "is", values: ["Signup"] }] });
    const plans = signups.goalProperties!.properties.find((p) => p.key === "plan")!;
    expect(plans.rows.map((r) => r.value).sort()).toEqual(["free", "pro", "team"]);
    expect(plans.rows.reduce((n, r) => n + r.conversions, 0)).toBe(signups.goals.find((g) => g.name === "Signup")!.conversions);
  });

  it("is idempotent and stays out of a database that has users", async () => {
    const before = await db.selectFrom("events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    lines = [];
    await seedDemo(db, { log: (line) => lines.push(line) });
    expect(lines[0]).toMatch(/already exists/);
    expect(await seedIfEmpty(db, () => {})).toBe(false);
    const after = await db.selectFrom("events").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect((await listLinks(db, site.id)).length).toBe(3);
  });

  it("makes up its passwords where they must not be known (production), and prints them once", async () => {
    const other = await freshDb();
    const printed: string[] = [];
    const info = await seedDemo(other, { log: (line) => printed.push(line), randomPasswords: true, days: 2 });
    expect(info.password).not.toBe(DEMO.password);
    expect(info.password!.length).toBeGreaterThanOrEqual(20);
    const text = printed.join("\n");
    expect(text).toContain(info.password!);
    expect(text).not.toContain(DEMO.password);
    expect(text).not.toContain(DEMO.protectedLinkPassword);
    await expectCode(createCaller(testContext({ db: other, ip: "192.0.2.1" })).auth.login({ email: DEMO.email, password: DEMO.password }), "UNAUTHORIZED");
    await createCaller(testContext({ db: other, ip: "192.0.2.1" })).auth.login({ email: DEMO.email, password: info.password! });
  });
});
