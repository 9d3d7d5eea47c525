import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { callerAt, UA } from "../../test/support/ingest.js";
import { createCaller } from "../root.js";

import { expectCode, member, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { dashboardAt, flushEvents, testContext } from "../../test/support/services.js";

/**
 * One UTC day, counted by hand. Goals: Signup (custom event), Visit /pricing (path), Blog (/blog/*).
 *
 *   Ann   desktop  / → /pricing, Signup {plan: pro}, Signup {plan: pro}   converts Signup twice, /pricing once
 *   Ben   mobile   /blog/a → /blog/b/c, Signup {plan: free, seats: 3}     Signup once, Blog twice
 *   Cleo  desktop  /blog → /about                                          nothing: "/blog" is not "/blog/*"
 *   Dan   mobile   /pricing, Newsletter {}                                 /pricing once; a custom event that is no goal
 *
 * Four visitors: Signup 2 visitors / 3 conversions (50%), Visit /pricing 2 / 2 (50%), Blog 1 / 2 (25%).
 */
const NOW = new Date("2026-05-20T18:00:00Z");
const DAY = { key: "custom" as const, from: "2026-05-20", to: "2026-05-20" };
const ann = { ip: "198.51.100.10", userAgent: UA.windowsChrome };
const ben = { ip: "198.51.100.11", userAgent: UA.iphoneSafari };
const cleo = { ip: "198.51.100.12", userAgent: UA.windowsChrome };
const dan = { ip: "198.51.100.13", userAgent: UA.androidChrome };
type Who = typeof ann;
const EVENTS: [Who, string, string, string, Record<string, string | number>?][] = [
  [ann, "10:00", "pageview", "/"],
  [ann, "10:02", "pageview", "/pricing"],
  [ann, "10:03", "Signup", "/signup", { plan: "pro" }],
  [ann, "10:04", "Signup", "/signup", { plan: "pro" }],
  [ben, "11:00", "pageview", "/blog/a"],
  [ben, "11:01", "pageview", "/blog/b/c"],
  [ben, "11:02", "Signup", "/signup", { plan: "free", seats: 3 }],
  [cleo, "12:00", "pageview", "/blog"],
  [cleo, "12:01", "pageview", "/about"],
  [dan, "13:00", "pageview", "/pricing"],
  [dan, "13:01", "Newsletter", "/pricing", {}],
];

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let site: { id: string; domain: string; timezone: string };

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "goals-owner");
  site = await siteOwnedBy(db, owner.user.id, "goals.example");
  for (const [who, time, name, path, props] of EVENTS) {
    await callerAt(`2026-05-20T${time}:00Z`, { db, ...who }).events.ingest({ name, url: `https://${site.domain}${path}`, domain: site.domain, referrer: null, props });
  }
  await flushEvents(db);
  const goals = owner.caller.goals;
  await goals.create({ site: site.domain, kind: "event", eventName: "Signup" });
  await goals.create({ site: site.domain, kind: "page", pagePath: "/pricing" });
  await goals.create({ site: site.domain, kind: "page", pagePath: "/blog/*", name: "Blog" });
});

const view = (filters: unknown[] = []) => callerAt(NOW, { db, sessionToken: owner.token }).stats.dashboard({ site: site.domain, period: DAY, filters } as never);
const goalRows = (stats: Awaited<ReturnType<typeof view>>) => stats.goals.map((g) => [g.name, g.visitors, g.conversions, g.conversionRate]);

describe("managing goals", () => {
  it("names goals after what they match unless told otherwise", async () => {
    const list = await owner.caller.goals.list({ site: site.domain });
    expect(list.map((g) => [g.name, g.kind, g.match])).toEqual([
      ["Blog", "page", "/blog/*"],
      ["Signup", "event", "Signup"],
      ["Visit /pricing", "page", "/pricing"],
    ]);
  });

  it("refuses duplicates, by what they match or by name, saying which", async () => {
    const same = await expectCode(owner.caller.goals.create({ site: site.domain, kind: "event", eventName: "Signup", name: "Another" }), "CONFLICT");
    expect(same.message).toBe("A goal for the event “Signup” already exists for this site");
    // With the default name both rules fail; the one that matters is said.
    const again = await expectCode(owner.caller.goals.create({ site: site.domain, kind: "page", pagePath: "/pricing" }), "CONFLICT");
    expect(again.message).toBe("A goal for the path “/pricing” already exists for this site");
    const named = await expectCode(owner.caller.goals.create({ site: site.domain, kind: "event", eventName: "Purchase", name: "blog" }), "CONFLICT");
    expect(named.message).toBe("A goal named “blog” already exists for this site");
  });

  it("checks what a goal needs, with messages per field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: "event" }, "Event name is required"],
      [{ kind: "page" }, "Page path is required"],
      [{ kind: "page", pagePath: "pricing" }, "A page path starts with /, such as /pricing or /blog/*"],
      [{ kind: "event", eventName: "pageview" }, "“pageview” is every page view: add a pageview goal with a path instead"],
      [{ kind: "event", eventName: "Signup", pagePath: "/x" }, "A custom event goal has no page path"],
      [{ kind: "visit", eventName: "Signup" }, "Choose a custom event or a pageview goal"],
    ];
    for (const [input, message] of cases) {
      const error = await expectCode(owner.caller.goals.create({ site: site.domain, ...input } as never), "BAD_REQUEST");
      expect(error.message).toContain(message);
    }
  });

  it("lets viewers see goals but not change them, and hides them from other sites' members", async () => {
    const viewer = await member(db, site.id, "viewer");
    expect((await viewer.caller.goals.list({ site: site.domain })).length).toBe(3);
    await expectCode(viewer.caller.goals.create({ site: site.domain, kind: "event", eventName: "Purchase" }), "FORBIDDEN");
    const [signup] = (await owner.caller.goals.list({ site: site.domain })).filter((g) => g.name === "Signup");
    await expectCode(viewer.caller.goals.delete({ site: site.domain, id: signup!.id }), "FORBIDDEN");
    const stranger = await signedIn(db, "stranger");
    await expectCode(stranger.caller.goals.list({ site: site.domain }), "NOT_FOUND");
    const theirs = await siteOwnedBy(db, stranger.user.id);
    await expectCode(stranger.caller.goals.get({ site: theirs.domain, id: signup!.id }), "NOT_FOUND");
  });

  it("refuses to delete or rename a goal that segments use, naming them; unknown goals make no segment", async () => {
    const segment = await owner.caller.segments.create({ site: site.domain, name: "Converted", filters: [{ dimension: "goal", operator: "is", values: ["signup"] }] });
    const [signup] = (await owner.caller.goals.list({ site: site.domain })).filter((g) => g.name === "Signup");
    expect(signup!.usedBy).toEqual([{ id: segment.id, name: "Converted" }]);
    const deleting = await expectCode(owner.caller.goals.delete({ site: site.domain, id: signup!.id }), "CONFLICT");
    expect(deleting.message).toBe("This goal is used by the segment “Converted”. Change or delete that segment first.");
    const renaming = await expectCode(owner.caller.goals.update({ site: site.domain, id: signup!.id, name: "Sign-up" }), "CONFLICT");
    expect(renaming.message).toMatch(/used by the segment “Converted”/);
    await expectCode(
      owner.caller.segments.create({ site: site.domain, name: "Typo", filters: [{ dimension: "goal", operator: "is", values: ["Sigup"] }] }),
      "BAD_REQUEST",
    );
    await expectCode(
      owner.caller.segments.create({ site: site.domain, name: "Fuzzy", filters: [{ dimension: "goal", operator: "contains", values: ["Sign"] }] }),
      "BAD_REQUEST",
    );
    await owner.caller.segments.delete({ site: site.domain, id: segment.id });
    const purchase = await owner.caller.goals.create({ site: site.domain, kind: "event", eventName: "Purchase" });
    await owner.caller.goals.update({ site: site.domain, id: purchase.id, name: "Bought", eventName: "Order" });
    expect((await owner.caller.goals.get({ site: site.domain, id: purchase.id })).match).toBe("Order");
    await owner.caller.goals.delete({ site: site.domain, id: purchase.id });
  });
});

describe("conversions", () => {
  it("count converting visitors, conversions and the rate for every goal, a visitor converting twice included", async () => {
    const stats = await view();
    expect(stats.totals.visitors).toBe(4);
    expect(goalRows(stats)).toEqual([
      ["Signup", 2, 3, 50],
      ["Visit /pricing", 2, 2, 50],
      ["Blog", 1, 2, 25],
    ]);
    expect(stats.goalProperties).toBeNull();
  });

  it("narrow the whole dashboard to the visitors who converted, or did not", async () => {
    const converted = await view([{ dimension: "goal", operator: "is", values: ["Signup"] }]);
    expect(converted.totals).toMatchObject({ visitors: 2, visits: 2, pageviews: 4 });
    expect(converted.breakdowns.find((b) => b.dimension === "device")!.rows.map((r) => [r.value, r.visitors])).toEqual([
      ["Desktop", 1],
      ["Mobile", 1],
    ]);
    const not = await view([{ dimension: "goal", operator: "is_not", values: ["Signup"] }]);
    expect(not.totals).toMatchObject({ visitors: 2, pageviews: 3 });
    const either = await view([{ dimension: "goal", operator: "is", values: ["Blog", "visit /pricing"] }]);
    expect(either.totals.visitors).toBe(3);
    const unknown = await view([{ dimension: "goal", operator: "is", values: ["No such goal"] }]);
    expect(unknown.totals.visitors).toBe(0);
  });

  it("break a goal's conversions down by custom property once the view is narrowed to it", async () => {
    const stats = await view([{ dimension: "goal", operator: "is", values: ["Signup"] }]);
    expect(stats.goalProperties).toEqual({
      goal: "Signup",
      properties: [
        {
          key: "plan",
          rows: [
            { value: "pro", visitors: 1, conversions: 2 },
            { value: "free", visitors: 1, conversions: 1 },
          ],
          more: false,
        },
        { key: "seats", rows: [{ value: "3", visitors: 1, conversions: 1 }], more: false },
      ],
      moreProperties: false,
    });
  });

  it("follow other filters, and a segment: mobile visitors only", async () => {
    const mobile = await view([{ dimension: "device", operator: "is", values: ["Mobile"] }]);
    expect(mobile.totals.visitors).toBe(2);
    expect(goalRows(mobile)).toEqual([
      ["Blog", 1, 2, 50],
      ["Signup", 1, 1, 50],
      ["Visit /pricing", 1, 1, 50],
    ]);
  });

  it("are the same from the day cache as from the raw tables", async () => {
    const yesterday = new Date("2026-05-21T12:00:00Z");
    const input = { period: DAY, filters: [], now: yesterday };
    const raw = await dashboardAt(db, site, { ...input, cache: false });
    expect(await dashboardAt(db, site, input)).toEqual(raw);
    expect(await dashboardAt(db, site, input)).toEqual(raw);
    expect(raw.goals.map((g) => [g.name, g.visitors, g.conversions])).toEqual([
      ["Signup", 2, 3],
      ["Visit /pricing", 2, 2],
      ["Blog", 1, 2],
    ]);
  });

  it("show on a shared link under its segment, and recipients cannot touch goals", async () => {
    const segment = await owner.caller.segments.create({ site: site.domain, name: "Phones", filters: [{ dimension: "device", operator: "is", values: ["Mobile"] }] });
    const link = await owner.caller.sharedLinks.create({ site: site.domain, name: "Phones link", segmentId: segment.id });
    const recipient = createCaller(testContext({ db, ip: "192.0.2.80", now: NOW }));
    const shared = await recipient.share.stats({ slug: link.slug, period: DAY, filters: [] });
    expect(goalRows(shared as never)).toEqual([
      ["Blog", 1, 2, 50],
      ["Signup", 1, 1, 50],
      ["Visit /pricing", 1, 1, 50],
    ]);
    // Narrowing to a goal stays inside the segment: Ben only.
    const narrowed = await recipient.share.stats({ slug: link.slug, period: DAY, filters: [{ dimension: "goal", operator: "is", values: ["Signup"] }] });
    expect(narrowed.totals.visitors).toBe(1);
    expect(narrowed.goalProperties?.properties[0]?.rows).toEqual([{ value: "free", visitors: 1, conversions: 1 }]);
    // Widening is impossible: "goal is not" only narrows further.
    const not = await recipient.share.stats({ slug: link.slug, period: DAY, filters: [{ dimension: "goal", operator: "is_not", values: ["Signup"] }] });
    expect(not.totals.visitors).toBe(1);
    await expectCode(recipient.goals.list({ site: site.domain }), "UNAUTHORIZED");
    await expectCode(recipient.goals.create({ site: site.domain, kind: "event", eventName: "Hack" }), "UNAUTHORIZED");
  });

  it("restrict a link to the visitors who signed up, through a goal segment", async () => {
    const segment = await owner.caller.segments.create({ site: site.domain, name: "Signed up", filters: [{ dimension: "goal", operator: "is", values: ["Signup"] }] });
    const link = await owner.caller.sharedLinks.create({ site: site.domain, name: "Converts", segmentId: segment.id });
    const recipient = createCaller(testContext({ db, ip: "192.0.2.81", now: NOW }));
    const shared = await recipient.share.stats({ slug: link.slug, period: DAY, filters: [] });
    expect(shared.totals.visitors).toBe(2);
    expect(shared.goals.find((g) => g.name === "Signup")).toMatchObject({ visitors: 2, conversions: 3, conversionRate: 100 });
    expect(shared.goalProperties?.goal).toBe("Signup");
  });
});

describe("custom properties", () => {
  it("are stored as text, without the ones sent as null", async () => {
    const rows = await db.selectFrom("events").select(["name", "props"]).where("site_id", "=", site.id).where("name", "!=", "pageview").orderBy("id").execute();
    expect(rows).toEqual([
      { name: "Signup", props: { plan: "pro" } },
      { name: "Signup", props: { plan: "pro" } },
      { name: "Signup", props: { plan: "free", seats: "3" } },
      { name: "Newsletter", props: null },
    ]);
  });

  it("arrive the ways Plausible's trackers send them: p or props, m or meta, as an object or as JSON text", async () => {
    const other = await siteOwnedBy(db, owner.user.id, "props.example");
    const send = (payload: Record<string, unknown>) =>
      callerAt(NOW, { db, ...cleo }).events.ingest({ n: "Signup", u: `https://${other.domain}/`, d: other.domain, ...payload } as never);
    await send({ p: { plan: "a" } });
    await send({ props: '{"plan":"b"}' });
    await send({ m: '{"plan":"c"}' });
    await send({ meta: { plan: "d" } });
    await expectCode(send({ p: "not json" }), "BAD_REQUEST");
    await flushEvents(db);
    const stored = await db.selectFrom("events").select("props").where("site_id", "=", other.id).where("name", "=", "Signup").orderBy("id").execute();
    expect(stored.map((r) => r.props)).toEqual([{ plan: "a" }, { plan: "b" }, { plan: "c" }, { plan: "d" }]);
  });

  it("refuse what Postgres could not store, with a 400", async () => {
    const caller = callerAt(NOW, { db, ...dan });
    for (const props of [{ "bad\u0000key": "x" }, { plan: "nul\u0000" }, { "": "x" }]) {
      await expectCode(caller.events.ingest({ name: "Signup", url: `https://${site.domain}/`, domain: site.domain, referrer: null, props } as never), "BAD_REQUEST");
    }
  });
});

describe("the breakdown of a goal by property", () => {
  it("shows the 10 most used properties with their 10 top values, exact, and loads no more than that from the database", async () => {
    const many = await siteOwnedBy(db, owner.user.id, "many-props.example");
    await owner.caller.goals.create({ site: many.domain, kind: "event", eventName: "Buy" });
    // 240 buyers (visitor 0 buys twice). "plan": pro for 100 of them, team for 60, a value of its
    // own for each of the other 80; "u00" to "u10": a value of its own for every buyer. Every
    // property is on every conversion, so ties of use are broken by name.
    const propsOf = (i: number) => ({
      plan: i < 100 ? "pro" : i < 160 ? "team" : `p${i}`,
      ...Object.fromEntries(Array.from({ length: 11 }, (_, k) => [`u${String(k).padStart(2, "0")}`, `u${k}-${i}`])),
    });
    for (let i = 0; i < 240; i++) {
      const who = { ip: `10.7.${i >> 8}.${i & 255}`, userAgent: UA.windowsChrome };
      for (let times = i === 0 ? 2 : 1; times > 0; times--) {
        await callerAt(`2026-05-20T15:${String(times).padStart(2, "0")}:00Z`, { db, ...who }).events.ingest({ name: "Buy", url: `https://${many.domain}/buy`, domain: many.domain, referrer: null, props: propsOf(i) });
      }
    }
    await flushEvents(db);

    const rowsPerQuery: number[] = [];
    const counted = db.withPlugin({
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        rowsPerQuery.push(args.result.rows.length);
        return args.result;
      },
    });
    const stats = await callerAt(NOW, { db: counted, sessionToken: owner.token }).stats.dashboard({
      site: many.domain,
      period: DAY,
      filters: [{ dimension: "goal", operator: "is", values: ["Buy"] }],
    });

    const single = (value: string) => ({ value, visitors: 1, conversions: value.endsWith("-0") ? 2 : 1 });
    const uniqueRows = (k: number) => [
      single(`u${k}-0`),
      ...Array.from({ length: 239 }, (_, i) => `u${k}-${i + 1}`)
        .sort()
        .slice(0, 9)
        .map(single),
    ];
    expect(stats.goalProperties).toEqual({
      goal: "Buy",
      properties: [
        {
          key: "plan",
          rows: [
            { value: "pro", visitors: 100, conversions: 101 },
            { value: "team", visitors: 60, conversions: 60 },
            ...["p160", "p161", "p162", "p163", "p164", "p165", "p166", "p167"].map(single),
          ],
          more: true,
        },
        ...Array.from({ length: 9 }, (_, k) => ({ key: `u${String(k).padStart(2, "0")}`, rows: uniqueRows(k), more: true })),
      ],
      moreProperties: true,
    });
    // 12 properties with 2,722 values between them were counted in SQL; 100 rows came back.
    expect(Math.max(...rowsPerQuery)).toBeLessThanOrEqual(100);
  });
});
