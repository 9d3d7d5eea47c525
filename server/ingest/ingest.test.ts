import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createSite } from "../sites/sites.js";
import { expectCode, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { UA, callerAt, rowCounts } from "../../test/support/ingest.js";
import { flushEvents } from "../../test/support/services.js";

let db: Db;
let site: { id: string; domain: string };
let other: { id: string; domain: string };
const DOMAIN = "ingest.example";
const visitor = { ip: "203.0.113.7", userAgent: UA.windowsChrome, country: "DE" };

beforeAll(async () => {
  db = await freshDb();
  const owner = await signedIn(db, "owner");
  site = (await createSite(db, owner.user.id, { domain: DOMAIN, timezone: "Europe/Berlin" })).site;
  other = (await createSite(db, owner.user.id, { domain: "other-ingest.example", timezone: "Europe/Berlin" })).site;
});

const pageview = (path = "/", extra: Record<string, unknown> = {}) => ({
  name: "pageview",
  url: `https://${DOMAIN}${path}`,
  domain: DOMAIN,
  referrer: null,
  ...extra,
});

/** Sends one event and waits for it to be written, as the next flush would. */
async function send(at: string, payload: unknown, who = visitor) {
  const result = await callerAt(at, { db, ...who }).events.ingest(payload as never);
  await flushEvents(db);
  return result;
}

const eventsAt = (at: string) =>
  db.selectFrom("events").selectAll().where("ts", "=", new Date(at)).orderBy("id").execute();

describe("recording events", () => {
  it("stores a pageview with its site-local day, parsed client, country and source", async () => {
    expect(await send("2026-05-04T22:30:00Z", pageview("/pricing?utm_campaign=spring", { referrer: "https://www.google.co.uk/search?q=x" }))).toEqual({ accepted: true });
    const [event] = await eventsAt("2026-05-04T22:30:00Z");
    expect(event).toMatchObject({
      site_id: site.id,
      day: "2026-05-05", // 00:30 in Berlin
      name: "pageview",
      pathname: "/pricing",
      entry_page: "/pricing",
      referrer_source: "Google",
      referrer: "google.co.uk/search",
      utm_campaign: "spring",
      country: "DE",
      device: "Desktop",
      browser: "Chrome",
      os: "Windows",
    });
    const visit = await db.selectFrom("visits").selectAll().where("session_id", "=", event!.session_id).executeTakeFirstOrThrow();
    expect(visit).toMatchObject({ day: "2026-05-05", pageviews: 1, events: 1, entry_page: "/pricing", exit_page: "/pricing", referrer_source: "Google" });
  });

  it("accepts Plausible's one-letter keys and a domain written with www and capitals", async () => {
    await send("2026-05-06T08:00:00Z", { n: "pageview", u: `https://${site.domain}/short`, d: `WWW.${site.domain.toUpperCase()}`, r: null });
    expect((await eventsAt("2026-05-06T08:00:00Z"))[0]).toMatchObject({ pathname: "/short", site_id: site.id });
  });

  it("keeps an unknown country empty and decodes readable paths", async () => {
    await send("2026-05-06T09:00:00Z", pageview("/caf%C3%A9"), { ...visitor, country: "" });
    await send("2026-05-06T09:00:01Z", pageview("/x%00y"), { ...visitor, country: "zz" });
    const [cafe] = await eventsAt("2026-05-06T09:00:00Z");
    const [nul] = await eventsAt("2026-05-06T09:00:01Z");
    expect(cafe).toMatchObject({ pathname: "/café", country: "" });
    expect(nul).toMatchObject({ pathname: "/x%00y" });
  });
});

describe("dropping and refusing events", () => {
  it("drops bots and requests without a user agent, writing nothing", async () => {
    const before = await rowCounts(db);
    expect(await send("2026-05-07T10:00:00Z", pageview(), { ...visitor, userAgent: UA.googlebot })).toEqual({ accepted: false, reason: "bot" });
    expect(await send("2026-05-07T10:00:00Z", pageview(), { ...visitor, userAgent: "" })).toEqual({ accepted: false, reason: "bot" });
    expect(await rowCounts(db)).toEqual(before);
  });

  const bad: [string, unknown, RegExp][] = [
    ["not an object", "pageview", /JSON object/],
    ["no name", { url: `https://ingest.example/`, domain: "ingest.example" }, /Event name is required/],
    ["a blank name", pageview("/", { name: "   " }), /Event name is required/],
    ["a name over 120 characters", pageview("/", { name: "x".repeat(121) }), /at most 120/],
    ["a control character in the name", pageview("/", { name: "a\u0000b" }), /control characters/],
    ["a relative URL", pageview("/", { url: "/pricing" }), /absolute http\(s\)/],
    ["a javascript: URL", pageview("/", { url: "javascript:alert(1)" }), /absolute http\(s\)/],
    ["an ftp URL", pageview("/", { url: "ftp://ingest.example/" }), /absolute http\(s\)/],
    ["an over-long URL", pageview(`/${"a".repeat(2001)}`), /at most 2000/],
    ["a NUL in the domain", pageview("/", { domain: `${DOMAIN}\u0000` }), /Domain cannot contain control characters/],
    ["a line break in the URL", pageview("/", { url: `https://${DOMAIN}/a\nb` }), /URL cannot contain control characters/],
    ["no domain", { name: "pageview", url: "https://ingest.example/" }, /Domain is required/],
    ["a numeric referrer", pageview("/", { referrer: 42 }), /Referrer must be text/],
    ["nested props", pageview("/", { props: { a: { b: 1 } } }), /strings, numbers or booleans/],
  ];
  for (const [what, payload, message] of bad) {
    it(`answers BAD_REQUEST for ${what} and writes nothing`, async () => {
      const before = await rowCounts(db);
      const error = await expectCode(send("2026-05-08T10:00:00Z", payload), "BAD_REQUEST");
      expect(error.message).toMatch(message);
      expect(await rowCounts(db)).toEqual(before);
    });
  }

  it("answers NOT_FOUND for an unknown domain and writes nothing", async () => {
    const before = await rowCounts(db);
    const error = await expectCode(send("2026-05-08T10:00:00Z", pageview("/", { domain: "nobody.example" })), "NOT_FOUND");
    expect(error.message).toBe("Unknown site domain");
    expect(await rowCounts(db)).toEqual(before);
  });
});

describe("visitor ids", () => {
  const idAt = async (at: string, domain = site.domain, who = visitor) => {
    await send(at, { ...pageview("/id"), url: `https://${domain}/id`, domain }, who);
    const rows = await db.selectFrom("events").select("visitor_id").where("ts", "=", new Date(at)).where("pathname", "=", "/id").execute();
    return rows[rows.length - 1]!.visitor_id;
  };

  it("are stable within a site-local day and differ across days, sites, IPs and browsers", async () => {
    const morning = await idAt("2026-06-01T06:00:00Z");
    expect(await idAt("2026-06-01T20:00:00Z")).toBe(morning);
    expect(await idAt("2026-06-01T22:30:00Z")).not.toBe(morning); // 00:30 on 2 June in Berlin
    expect(await idAt("2026-06-01T06:00:01Z", other.domain)).not.toBe(morning);
    expect(await idAt("2026-06-01T06:00:02Z", site.domain, { ...visitor, ip: "203.0.113.8" })).not.toBe(morning);
    expect(await idAt("2026-06-01T06:00:03Z", site.domain, { ...visitor, userAgent: UA.androidChrome })).not.toBe(morning);
    expect(Number.isSafeInteger(morning)).toBe(true);
  });

  it("forget salts more than two days old", async () => {
    await idAt("2026-06-10T12:00:00Z");
    const days = (await db.selectFrom("visitor_salts").select("day").orderBy("day").execute()).map((r) => r.day);
    expect(days.every((d) => d >= "2026-06-08")).toBe(true);
    expect(days).toContain("2026-06-10");
  });
});

describe("visits", () => {
  const who = { ip: "203.0.113.50", userAgent: UA.iphoneSafari, country: "FR" };
  const visitsOf = async (day: string) =>
    db.selectFrom("visits").selectAll().where("site_id", "=", site.id).where("day", "=", day).where("country", "=", "FR").orderBy("started_at").execute();

  it("follow the 30-minute idle rule, counting pageviews, events, entry and exit", async () => {
    await send("2026-07-01T08:00:00Z", pageview("/a", { referrer: "https://news.ycombinator.com/item?id=9" }), who);
    await send("2026-07-01T08:10:00Z", pageview("/b", { referrer: `https://${site.domain}/a` }), who);
    await send("2026-07-01T08:20:00Z", { ...pageview("/b"), name: "Signup" }, who);
    await send("2026-07-01T08:50:00Z", pageview("/c"), who); // exactly 30 minutes idle: same visit
    await send("2026-07-01T09:20:01Z", pageview("/d"), who); // 30 minutes and a second: a new visit
    const [first, second] = await visitsOf("2026-07-01");
    expect(first).toMatchObject({ pageviews: 3, events: 4, entry_page: "/a", exit_page: "/c", referrer_source: "Hacker News", device: "Mobile", os: "iOS" });
    expect(first!.ended_at.getTime() - first!.started_at.getTime()).toBe(50 * 60_000);
    expect(second).toMatchObject({ pageviews: 1, events: 1, entry_page: "/d", exit_page: "/d", referrer_source: "" });
    const events = await db.selectFrom("events").select(["session_id", "entry_page", "referrer_source"]).where("session_id", "=", first!.session_id).execute();
    expect(events).toHaveLength(4);
    expect(events.every((e) => e.entry_page === "/a" && e.referrer_source === "Hacker News")).toBe(true);
  });

  it("concurrent events of one visitor open a single visit", async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => send("2026-07-02T12:00:00Z", pageview(`/p${i}`), who)));
    expect(results.every((r) => r.accepted)).toBe(true);
    const visits = await visitsOf("2026-07-02");
    expect(visits).toHaveLength(1);
    expect(visits[0]).toMatchObject({ pageviews: 12, events: 12 });
  });
});
