import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { limitKey } from "../net/client-address.js";
import { expectCode, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { fingerprint, type Unlocks, UNLOCK_HOURS } from "./access.js";
import { flushEvents, flushViews, testContext } from "../../test/support/services.js";

const NOW = new Date("2026-11-20T12:00:00Z");
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const PASSWORD = "Client-A password 1";
const PERIOD = { key: "7d" as const };

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let domain: string;
let mobileSegmentId: string;
let counter = 0;

/** A recipient: no session, their own address, and whatever unlock cookie they hold. */
function visitor(unlocks: Unlocks = {}, ip = `192.0.2.${++counter}`) {
  return createCaller(testContext({ db, ip, unlocks, now: NOW }));
}

/** A client whose refusals come at once: for floods, where the pause before a 429 is not the point. */
function impatient(ip: string) {
  return createCaller(testContext({ db, ip, now: NOW, pauses: false }));
}

async function ingest(userAgent: string, ip: string, path: string) {
  const caller = createCaller(testContext({ db, ip, userAgent, now: new Date(NOW.getTime() - 3600_000) }));
  await caller.events.ingest({ name: "pageview", url: `https://${domain}${path}`, domain, referrer: null });
  await flushEvents(db);
}

const link = (name: string, extra: { password?: string; segmentId?: string } = {}) => owner.caller.sharedLinks.create({ site: domain, name, ...extra });

async function unlock(slug: string, password = PASSWORD, ip?: string): Promise<Unlocks> {
  const result = await visitor({}, ip).share.unlock({ slug, password });
  return { [slug]: { f: result.fingerprint, e: Math.floor(Date.parse(result.expiresAt) / 1000) } };
}

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "owner");
  domain = (await siteOwnedBy(db, owner.user.id, "shop.example")).domain;
  for (let i = 0; i < 3; i++) await ingest(IPHONE, `198.51.100.${i}`, "/");
  for (let i = 0; i < 5; i++) await ingest(DESKTOP, `203.0.113.${i}`, "/pricing");
  const segment = await owner.caller.segments.create({ site: domain, name: "Mobile visitors", filters: [{ dimension: "device", operator: "is", values: ["Mobile"] }] });
  mobileSegmentId = segment.id;
});

describe("open links", () => {
  it("show the dashboard to anyone and count views without anything about the visitor", async () => {
    const open = await link("Public");
    const stats = await visitor().share.stats({ slug: open.slug, period: PERIOD, filters: [] });
    expect(stats.totals.visitors).toBe(8);
    expect(stats.site.domain).toBe(domain);
    await visitor().share.stats({ slug: open.slug, period: PERIOD, filters: [] });
    await flushViews(db);
    const row = await db.selectFrom("shared_links").select(["view_count", "last_viewed_at"]).where("id", "=", open.id).executeTakeFirstOrThrow();
    expect(row.view_count).toBe(2);
    expect(row.last_viewed_at?.toISOString()).toBe(NOW.toISOString());
  });

  it("answer unknown and deleted slugs with the same NOT_FOUND", async () => {
    const doomed = await link("Doomed");
    await owner.caller.sharedLinks.delete({ site: domain, id: doomed.id });
    const deleted = await expectCode(visitor().share.stats({ slug: doomed.slug, period: PERIOD, filters: [] }), "NOT_FOUND");
    const unknown = await expectCode(visitor().share.stats({ slug: "x".repeat(21), period: PERIOD, filters: [] }), "NOT_FOUND");
    expect(deleted.message).toBe(unknown.message);
    await expectCode(visitor().share.unlock({ slug: doomed.slug, password: PASSWORD }), "NOT_FOUND");
  });
});

describe("protected links", () => {
  it("reveal nothing before the unlock and everything after it", async () => {
    const locked = await link("Locked", { password: PASSWORD });
    expect(await visitor().share.resolve({ slug: locked.slug })).toEqual({ locked: true });
    await expectCode(visitor().share.stats({ slug: locked.slug, period: PERIOD, filters: [] }), "UNAUTHORIZED");
    const unlocks = await unlock(locked.slug);
    expect(unlocks[locked.slug]!.e).toBe(Math.floor(NOW.getTime() / 1000) + UNLOCK_HOURS * 3600);
    const stats = await visitor(unlocks).share.stats({ slug: locked.slug, period: PERIOD, filters: [] });
    expect(stats.totals.visitors).toBe(8);
  });

  it("refuse a wrong password, count it on the link, and compare exactly", async () => {
    const locked = await link("Exact", { password: PASSWORD });
    for (const wrong of [PASSWORD.toLowerCase(), ` ${PASSWORD}`, `${PASSWORD} `]) {
      const error = await expectCode(visitor().share.unlock({ slug: locked.slug, password: wrong }), "UNAUTHORIZED");
      expect(error.message).toBe("Incorrect password. Please try again.");
    }
    const row = await db.selectFrom("shared_links").select(["failed_unlock_count", "last_failed_unlock_at"]).where("id", "=", locked.id).executeTakeFirstOrThrow();
    expect(row.failed_unlock_count).toBe(3);
    expect(row.last_failed_unlock_at?.toISOString()).toBe(NOW.toISOString());
  });

  it("refuse a fingerprint made with a secret the server does not hold", async () => {
    const l = await link("Foreign secret", { password: PASSWORD });
    const row = await db.selectFrom("shared_links").select(["id", "password_hash"]).where("id", "=", l.id).executeTakeFirstOrThrow();
    const forged = { [l.slug]: { f: fingerprint({ id: row.id, passwordHash: row.password_hash, resumedAt: null }, "a secret someone guessed"), e: 2 ** 40 } };
    await expectCode(visitor(forged).share.stats({ slug: l.slug, period: PERIOD, filters: [] }), "UNAUTHORIZED");
  });

  it("never let the unlock of one slug open another with the same password", async () => {
    const a = await link("Same pw A", { password: PASSWORD });
    const b = await link("Same pw B", { password: PASSWORD });
    const unlocks = await unlock(a.slug);
    const stolen = { [b.slug]: unlocks[a.slug]! };
    await expectCode(visitor(stolen).share.stats({ slug: b.slug, period: PERIOD, filters: [] }), "UNAUTHORIZED");
  });

  it("lock again when the password is replaced, removed and added back, or the unlock expired or was altered", async () => {
    const l = await link("Rotating", { password: PASSWORD });
    const first = await unlock(l.slug);
    const expired = { [l.slug]: { ...first[l.slug]!, e: Math.floor(NOW.getTime() / 1000) - 1 } };
    await expectCode(visitor(expired).share.stats({ slug: l.slug, period: PERIOD, filters: [] }), "UNAUTHORIZED");
    const f = first[l.slug]!.f;
    // One character changed (to another one, whatever the last one was).
    const altered = { [l.slug]: { ...first[l.slug]!, f: `${f.slice(0, -1)}${f.endsWith("A") ? "B" : "A"}` } };
    await expectCode(visitor(altered).share.stats({ slug: l.slug, period: PERIOD, filters: [] }), "UNAUTHORIZED");

    await owner.caller.sharedLinks.update({ site: domain, id: l.id, password: "a brand new password" });
    await expectCode(visitor(first).share.stats({ slug: l.slug, period: PERIOD, filters: [] }), "UNAUTHORIZED");

    await owner.caller.sharedLinks.update({ site: domain, id: l.id, password: null });
    expect((await visitor().share.resolve({ slug: l.slug })).locked).toBe(false);

    await owner.caller.sharedLinks.update({ site: domain, id: l.id, password: PASSWORD });
    await expectCode(visitor(first).share.stats({ slug: l.slug, period: PERIOD, filters: [] }), "UNAUTHORIZED");
    await visitor(await unlock(l.slug)).share.stats({ slug: l.slug, period: PERIOD, filters: [] });
  });
});

describe("brute force", () => {
  const attacker = "203.0.113.200";
  const hitsFor = async (key: string) =>
    (await db.selectFrom("rate_limit_hits").select("hits").where("key", "=", key).execute()).reduce((sum, r) => sum + r.hits, 0);

  it("answers 429 with Retry-After after 10 wrong passwords from one network, even for the right one from it", async () => {
    const target = await link("Target", { password: PASSWORD });
    for (let i = 0; i < 10; i++) await expectCode(visitor({}, attacker).share.unlock({ slug: target.slug, password: `guess number ${i}` }), "UNAUTHORIZED");
    const limited = await expectCode(visitor({}, attacker).share.unlock({ slug: target.slug, password: PASSWORD }), "TOO_MANY_REQUESTS");
    expect(limited.message).toMatch(/Too many incorrect passwords from your network/);
    expect((limited.cause as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    // A recipient anywhere else is not locked out by it.
    await unlock(target.slug, PASSWORD, "198.51.100.77");
  });

  it("counts an IPv6 /64 as one network, so rotating addresses inside it does not reset the budget", async () => {
    const target = await link("Six", { password: PASSWORD });
    for (let i = 1; i <= 10; i++) await expectCode(visitor({}, `2001:db8:1:2::${i.toString(16)}`).share.unlock({ slug: target.slug, password: `six ${i}` }), "UNAUTHORIZED");
    await expectCode(visitor({}, "2001:db8:1:2:ffff::1").share.unlock({ slug: target.slug, password: PASSWORD }), "TOO_MANY_REQUESTS");
    await unlock(target.slug, PASSWORD, "2001:db8:1:3::1");
  });

  it("has a per-link ceiling far above one network's limit, for guessing spread over many addresses", async () => {
    // Tests run with UNLOCK_LINK_MAX_ATTEMPTS=30 (vitest.config.ts) so the ceiling is reachable here.
    const target = await link("Distributed", { password: PASSWORD });
    for (let i = 0; i < 30; i++) await expectCode(visitor({}, `100.64.${i}.1`).share.unlock({ slug: target.slug, password: `spread ${i}` }), "UNAUTHORIZED");
    const ceiling = await expectCode(visitor({}, "100.64.200.1").share.unlock({ slug: target.slug, password: `spread more` }), "TOO_MANY_REQUESTS");
    expect(ceiling.message).toMatch(/too many incorrect passwords from many places/);
  });

  it("limits one network across links too, and a correct password does not refund earlier failures", async () => {
    const ip = "192.0.2.250";
    const links = await Promise.all([1, 2, 3, 4].map((i) => link(`Spray ${i}`, { password: PASSWORD })));
    for (let i = 0; i < 29; i++) await expectCode(visitor({}, ip).share.unlock({ slug: links[i % 3]!.slug, password: `spray ${i}` }), "UNAUTHORIZED");
    await unlock(links[3]!.slug, PASSWORD, ip);
    await expectCode(visitor({}, ip).share.unlock({ slug: links[3]!.slug, password: "one more guess" }), "UNAUTHORIZED");
    await expectCode(visitor({}, ip).share.unlock({ slug: links[3]!.slug, password: PASSWORD }), "TOO_MANY_REQUESTS");
    await unlock(links[3]!.slug, PASSWORD, "192.0.2.251");
  });

  it("lets no concurrent burst from one network get more than 10 guesses checked, and counts only what was checked", async () => {
    const target = await link("Burst", { password: PASSWORD });
    const ip = "192.0.2.240";
    const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => impatient(ip).share.unlock({ slug: target.slug, password: `burst ${i}` })));
    const codes = results.map((r) => (r.status === "rejected" ? r.reason.code : "OK"));
    const wrong = codes.filter((c) => c === "UNAUTHORIZED").length;
    expect(wrong).toBeLessThanOrEqual(10);
    expect(codes.filter((c) => c === "TOO_MANY_REQUESTS").length).toBe(25 - wrong);
    // Attempts refused because the server was busy are given back: the budget holds only the
    // passwords that were checked and wrong.
    expect(await hitsFor(limitKey("unlock:link+client", target.id, ip))).toBe(wrong);
    expect(await db.selectFrom("shared_links").select("failed_unlock_count").where("id", "=", target.id).executeTakeFirstOrThrow()).toEqual({ failed_unlock_count: wrong });
  });

  it("lets a recipient elsewhere in while one network floods the password checker", async () => {
    const target = await link("Flooded", { password: PASSWORD });
    const flooder = "203.0.113.99";
    // Six workers at one address, each signing up and guessing back to back.
    const worker = async (w: number) => {
      const outcomes: PromiseSettledResult<unknown>[] = [];
      for (let i = 0; i < 6; i++) {
        const attempt =
          i % 2
            ? impatient(flooder).auth.signup({ email: `flood-${w}-${i}@example.test`, password: "flooding password" })
            : impatient(flooder).share.unlock({ slug: target.slug, password: `flood ${w} ${i}` });
        outcomes.push(...(await Promise.allSettled([attempt])));
      }
      return outcomes;
    };
    const flood = Promise.all(Array.from({ length: 6 }, (_, w) => worker(w))).then((all) => all.flat());
    await new Promise((resolve) => setTimeout(resolve, 20));
    const recipient = visitor({}, "198.51.100.123").share.unlock({ slug: target.slug, password: PASSWORD });
    await expect(recipient).resolves.toMatchObject({ slug: target.slug });
    const outcomes = await flood;
    // The flood did hash (accounts were made), and what its network could not have checked was
    // refused at its own door.
    expect(outcomes.filter((o) => o.status === "fulfilled").length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.status === "rejected" && o.reason.code !== "TOO_MANY_REQUESTS" && o.reason.code !== "UNAUTHORIZED")).toEqual([]);
  });
});

describe("views with made-up filters", () => {
  const madeUp = (i: number) => [{ dimension: "page" as const, operator: "contains" as const, values: [`/probe-${i}`] }];

  it("are limited per client before any database work, and refused after a pause", async () => {
    const ip = "203.0.113.150";
    // A slug that does not exist: had the database been asked, the answer would be NOT_FOUND.
    const slug = "nonexistentslug123456";
    for (let i = 0; i < 20; i++) await expectCode(visitor({}, ip).share.stats({ slug, period: PERIOD, filters: madeUp(i) }), "NOT_FOUND");
    // As slow as a busy machine can be: the rate is counted on the test's clock, which stands still.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const started = Date.now();
    const limited = await expectCode(visitor({}, ip).share.stats({ slug, period: PERIOD, filters: madeUp(99) }), "TOO_MANY_REQUESTS");
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(limited.message).toMatch(/many different views/);
    // Another client, and the same client's unfiltered view, are not affected.
    await expectCode(visitor({}, "203.0.113.151").share.stats({ slug, period: PERIOD, filters: madeUp(1) }), "NOT_FOUND");
    await expectCode(visitor({}, ip).share.stats({ slug, period: PERIOD, filters: [] }), "NOT_FOUND");
  });

  it("run one at a time per client, with two more waiting; the rest are refused", async () => {
    const open = await link("Filter flood");
    const ip = "203.0.113.160";
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => impatient(ip).share.stats({ slug: open.slug, period: { key: "30d" }, filters: madeUp(1000 + i) })),
    );
    const codes = results.map((r) => (r.status === "rejected" ? r.reason.code : "OK"));
    expect(codes.filter((c) => c === "OK").length).toBe(3);
    expect(codes.filter((c) => c === "TOO_MANY_REQUESTS").length).toBe(3);
  });
});

describe("cache", () => {
  it("stores nothing for filters a visitor makes up, so nobody can fill the database", async () => {
    const open = await link("Cache probe");
    const count = async () => (await db.selectFrom("stats_day_cache").select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n;
    await visitor().share.stats({ slug: open.slug, period: { key: "30d" }, filters: [] });
    const before = await count();
    for (let i = 0; i < 5; i++) {
      await visitor().share.stats({ slug: open.slug, period: { key: "30d" }, filters: [{ dimension: "page", operator: "contains", values: [`/made-up-${i}`] }] });
    }
    expect(await count()).toBe(before);
  });
});

describe("segment restriction", () => {
  it("applies the link's segment to every figure and lets visitor filters only narrow", async () => {
    const mobile = await link("Mobile only", { segmentId: mobileSegmentId });
    const base = await visitor().share.stats({ slug: mobile.slug, period: PERIOD, filters: [] });
    expect(base.totals.visitors).toBe(3);
    expect(base.segment).toMatchObject({ name: "Mobile visitors" });
    expect(base.breakdowns.find((b) => b.dimension === "device")!.rows.map((r) => r.value)).toEqual(["Mobile"]);
    expect(base.breakdowns.find((b) => b.dimension === "page")!.rows.map((r) => r.value)).toEqual(["/"]);

    const widen = [
      [{ dimension: "device" as const, operator: "is_not" as const, values: ["Mobile"] }],
      [{ dimension: "device" as const, operator: "is" as const, values: ["Desktop", "Mobile"] }],
      [{ dimension: "device" as const, operator: "contains" as const, values: ["o"] }],
    ];
    for (const filters of widen) {
      const stats = await visitor().share.stats({ slug: mobile.slug, period: PERIOD, filters });
      expect(stats.totals.visitors).toBeLessThanOrEqual(base.totals.visitors);
    }
    const breakdown = await visitor().share.breakdown({ slug: mobile.slug, period: PERIOD, filters: [], dimension: "device" });
    expect(breakdown.rows.map((r) => r.value)).toEqual(["Mobile"]);
  });

  it("rejects inputs that try to name or replace the segment", async () => {
    const mobile = await link("Mobile strict", { segmentId: mobileSegmentId });
    await expectCode(visitor().share.stats({ slug: mobile.slug, period: PERIOD, filters: [], segment: null } as never), "BAD_REQUEST");
    await expectCode(visitor().share.stats({ slug: mobile.slug, period: PERIOD, filters: [], segmentId: null } as never), "BAD_REQUEST");
  });

  it("follows edits of the segment immediately", async () => {
    const l = await link("Follows segment", { segmentId: mobileSegmentId });
    await owner.caller.segments.update({ site: domain, id: mobileSegmentId, filters: [{ dimension: "device", operator: "is", values: ["Desktop"] }] });
    const stats = await visitor().share.stats({ slug: l.slug, period: PERIOD, filters: [] });
    expect(stats.totals.visitors).toBe(5);
    await owner.caller.segments.update({ site: domain, id: mobileSegmentId, filters: [{ dimension: "device", operator: "is", values: ["Mobile"] }] });
  });
});

describe("revisits of a page rendered moments ago", () => {
  const views = async (id: string) => {
    await flushViews(db);
    return (await db.selectFrom("shared_links").select("view_count").where("id", "=", id).executeTakeFirstOrThrow()).view_count;
  };

  it("count the view while the link shows the same thing, and nothing once it changed", async () => {
    const l = await link("Revisited");
    const { version } = await visitor().share.stats({ slug: l.slug, period: PERIOD, filters: [] });
    expect(await visitor().share.revisit({ slug: l.slug, version })).toEqual({ current: true });
    expect(await views(l.id)).toBe(2);

    await owner.caller.sharedLinks.update({ site: domain, id: l.id, segmentId: mobileSegmentId });
    expect(await visitor().share.revisit({ slug: l.slug, version })).toEqual({ current: false });
    expect(await visitor().share.revisit({ slug: l.slug, version: "made-up" })).toEqual({ current: false });
    expect(await views(l.id)).toBe(2);

    const segmented = await visitor().share.stats({ slug: l.slug, period: PERIOD, filters: [] });
    expect(segmented.version).not.toBe(version);
    await owner.caller.segments.update({ site: domain, id: mobileSegmentId, name: "Phones" });
    expect(await visitor().share.revisit({ slug: l.slug, version: segmented.version })).toEqual({ current: false });
    await owner.caller.segments.update({ site: domain, id: mobileSegmentId, name: "Mobile visitors" });
  });

  it("check access like every other call: a new password locks, a deleted link is gone", async () => {
    const l = await link("Revisited, then locked");
    const { version } = await visitor().share.stats({ slug: l.slug, period: PERIOD, filters: [] });
    await owner.caller.sharedLinks.update({ site: domain, id: l.id, password: PASSWORD });
    await expectCode(visitor().share.revisit({ slug: l.slug, version }), "UNAUTHORIZED");
    // Adding a password does not change what the page shows: an unlocked visitor may see it again.
    expect(await visitor(await unlock(l.slug)).share.revisit({ slug: l.slug, version })).toEqual({ current: true });
    await owner.caller.sharedLinks.delete({ site: domain, id: l.id });
    await expectCode(visitor().share.revisit({ slug: l.slug, version }), "NOT_FOUND");
    await expectCode(visitor().share.revisit({ slug: l.slug, version, segment: null } as never), "BAD_REQUEST");
  });
});
