import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { httpStatusOverride } from "../errors.js";
import { createCaller } from "../root.js";
import { expectCode, member, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { flushEvents, testContext } from "../../test/support/services.js";

/** The text with its last character changed to another one (an altered signature). */
const otherLast = (text: string) => `${text.slice(0, -1)}${text.endsWith("A") ? "B" : "A"}`;

const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const PASSWORD = "Embed password 12345";
const WEEK = { key: "7d" as const };

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let domain: string;
let siteId: string;

/** A frame: no session, no unlock cookie, only what the embed URL carries. */
const frame = (now?: Date) => createCaller(testContext({ db, ip: "203.0.113.77", ...(now && { now }) }));
const tokenOf = (url: string) => /\/embed\/([^/?#]+)$/.exec(new URL(url).pathname)![1]!;

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "owner");
  const site = await siteOwnedBy(db, owner.user.id, "embed.example");
  domain = site.domain;
  siteId = site.id;
  const send = async (ua: string, ip: string, path: string) => {
    const caller = createCaller(testContext({ db, ip, userAgent: ua }));
    await caller.events.ingest({ name: "pageview", url: `https://${domain}${path}`, domain, referrer: null });
  };
  for (let i = 0; i < 3; i++) await send(IPHONE, `198.51.100.${i + 1}`, "/");
  for (let i = 0; i < 2; i++) await send(DESKTOP, `198.51.100.${i + 10}`, "/pricing");
  await flushEvents(db);
});

describe("embed tokens", () => {
  it("open a protected link in a frame without any cookie, and only that link", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Protected embed", password: PASSWORD });
    const other = await owner.caller.sharedLinks.create({ site: domain, name: "Other", password: PASSWORD });
    await expectCode(frame().share.stats({ slug: link.slug, period: WEEK, filters: [] }), "UNAUTHORIZED");
    const minted = await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id });
    expect(minted.url).toBe(`${new URL(link.url).origin}/embed/${minted.token}`);
    const lifetime = Date.parse(minted.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(59 * 60_000);
    expect(lifetime).toBeLessThanOrEqual(60 * 60_000);
    const stats = await frame().share.stats({ slug: link.slug, period: WEEK, filters: [], token: minted.token });
    expect(stats.totals.visitors).toBe(5);
    await expectCode(frame().share.stats({ slug: other.slug, period: WEEK, filters: [], token: minted.token }), "UNAUTHORIZED");
  });

  it("lock the period and add filters that a recipient cannot remove", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Narrowed embed" });
    const mobile = [{ dimension: "device" as const, operator: "is" as const, values: ["Mobile"] }];
    const { token } = await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id, period: { key: "today" }, filters: mobile });
    const stats = await frame().share.stats({ slug: link.slug, period: { key: "12mo" }, filters: [], token });
    expect(stats.range.key).toBe("today");
    expect(stats.totals.visitors).toBe(3);
    expect(stats.scope).toMatchObject({ canChangePeriod: false, lockedFilters: mobile });
    expect(JSON.stringify(stats)).not.toContain("/pricing");
    // The recipient's own filters only narrow further.
    const narrower = await frame().share.stats({ slug: link.slug, period: WEEK, filters: [{ dimension: "page", operator: "is", values: ["/pricing"] }], token });
    expect(narrower.totals.visitors).toBe(0);
    const breakdown = await frame().share.breakdown({ slug: link.slug, period: WEEK, filters: [], dimension: "device", token });
    expect(breakdown.rows.map((r) => r.value)).toEqual(["Mobile"]);
  });

  it("name their link themselves: the token alone opens it, with its locks, and nothing in the frame names the slug", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Open narrowed embed" });
    const mobile = [{ dimension: "device" as const, operator: "is" as const, values: ["Mobile"] }];
    const minted = await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id, period: { key: "today" }, filters: mobile });
    expect(minted.url).not.toContain(link.slug);
    const token = tokenOf(minted.url);
    const stats = await frame().share.stats({ period: { key: "12mo" }, filters: [], token });
    expect(stats.range.key).toBe("today");
    expect(stats.totals.visitors).toBe(3);
    expect(stats.scope).toMatchObject({ canChangePeriod: false, lockedFilters: mobile });
    const breakdown = await frame().share.breakdown({ period: WEEK, filters: [], dimension: "device", token });
    expect(breakdown.rows.map((r) => r.value)).toEqual(["Mobile"]);
    expect(JSON.stringify([stats, breakdown])).not.toContain(link.slug);
    // The link's whole scope still applies: a section it hides is not there for the token either.
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, visibleSections: ["series", "country"] });
    await expectCode(frame().share.breakdown({ period: WEEK, filters: [], dimension: "device", token }), "FORBIDDEN");
    expect((await frame().share.stats({ period: WEEK, filters: [], token })).breakdowns.map((b) => b.dimension)).toEqual(["country"]);
    // Neither a slug nor a token names nothing; a bad token alone is refused like a revoked one.
    await expectCode(frame().share.stats({ period: WEEK, filters: [] } as never), "BAD_REQUEST");
    await expectCode(frame().share.stats({ period: WEEK, filters: [], token: otherLast(token) }), "UNAUTHORIZED");
  });

  it("stop working at once when the password changes, the link is paused or deleted, or the token expires", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Revoked embed", password: PASSWORD });
    const first = tokenOf((await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id, ttlMinutes: 5 })).url);
    const stats = (token: string, now?: Date) => frame(now).share.stats({ slug: link.slug, period: WEEK, filters: [], token });
    await stats(first);
    await expectCode(stats(first, new Date(Date.now() + 6 * 60_000)), "UNAUTHORIZED");
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, password: `${PASSWORD} new` });
    await expectCode(stats(first), "UNAUTHORIZED");
    const second = (await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id })).token;
    await stats(second);
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, paused: true });
    const paused = await expectCode(stats(second), "NOT_FOUND");
    expect(paused.message).toBe("This shared link is paused");
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, paused: false });
    await expectCode(stats(second), "UNAUTHORIZED");
    const third = (await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id })).token;
    await owner.caller.sharedLinks.delete({ site: domain, id: link.id });
    const gone = await expectCode(stats(third), "NOT_FOUND");
    expect(gone.message).toBe("This shared link does not exist or was deleted");
  });

  it("refuse a forged or altered token", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Forged embed", password: PASSWORD });
    const { token } = await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id, filters: [{ dimension: "device", operator: "is", values: ["Mobile"] }] });
    const [body, mac] = token.split(".") as [string, string];
    const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, "base64url").toString()), q: [] })).toString("base64url");
    for (const bad of [`${widened}.${mac}`, `${body}.${otherLast(mac)}`, body, "", "x".repeat(5000), `${body}.${mac}.x`]) {
      await expectCode(frame().share.stats({ slug: link.slug, period: WEEK, filters: [], token: bad }), bad.length > 4096 ? "BAD_REQUEST" : "UNAUTHORIZED");
    }
  });

  it("name the sites allowed to frame them as plain origins, or refuse what is not one", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Framed", embedOrigins: ["https://Client.example/", " http://localhost:8080 ", "https://client.example"] });
    expect(link.embedOrigins).toEqual(["https://client.example", "http://localhost:8080"]);
    for (const bad of ["javascript:alert(1)", "https://x.example/path", "https://x.example; script-src *", "*", "client.example"]) {
      const error = await expectCode(owner.caller.sharedLinks.update({ site: domain, id: link.id, embedOrigins: [bad] }), "BAD_REQUEST");
      expect(error.message).toMatch(/is not a site address|site address/);
    }
    expect((await owner.caller.sharedLinks.update({ site: domain, id: link.id, embedOrigins: [] })).embedOrigins).toEqual([]);
  });

  it("are minted only by the site's admins, within the link's scope and a day at most", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Scoped embed", visibleSections: ["series", "page"] });
    const viewer = await member(db, siteId, "viewer");
    await expectCode(viewer.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id }), "FORBIDDEN");
    const outsider = await signedIn(db, "outsider");
    await expectCode(outsider.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id }), "NOT_FOUND");
    await expectCode(owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id, ttlMinutes: 24 * 60 + 1 }), "BAD_REQUEST");
    const hidden = await expectCode(
      owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id, filters: [{ dimension: "country", operator: "is", values: ["DE"] }] }),
      "BAD_REQUEST",
    );
    expect(hidden.message).toMatch(/does not show Country/);
    const day = await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id, ttlMinutes: 24 * 60 });
    expect(Date.parse(day.expiresAt) - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
  });

  it("are refused for a paused or expired link as every other refusal of a link that is gone (NOT_FOUND, HTTP 410)", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Gone embed" });
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, paused: true });
    const paused = await expectCode(owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id }), "NOT_FOUND");
    expect(paused.message).toBe("This link is paused: resume it before embedding it");
    expect(httpStatusOverride(paused.cause)).toBe(410);
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, paused: false });
    await db.updateTable("shared_links").set({ expires_at: new Date(Date.now() - 60_000) }).where("id", "=", link.id).execute();
    const expired = await expectCode(owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id }), "NOT_FOUND");
    expect(expired.message).toBe("This link is expired: give it a later expiry before embedding it");
    expect(httpStatusOverride(expired.cause)).toBe(410);
  });

  it("and unlocks stay dead once the link's expiry has passed, even when the expiry is lifted or moved later", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Expired embed", password: PASSWORD });
    const { token } = await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id, ttlMinutes: 24 * 60 });
    const unlock = await frame().share.unlock({ slug: link.slug, password: PASSWORD });
    const unlocks = { [link.slug]: { f: unlock.fingerprint, e: Math.floor(Date.parse(unlock.expiresAt) / 1000) } };
    const unlocked = () => createCaller(testContext({ db, ip: "203.0.113.78", unlocks }));
    const stats = () => frame().share.stats({ slug: link.slug, period: WEEK, filters: [], token });
    // Moving an expiry that has not passed yet ends nothing.
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    await stats();
    await unlocked().share.stats({ slug: link.slug, period: WEEK, filters: [] });
    // The expiry passes (as time would move it, without anyone acting)…
    await db.updateTable("shared_links").set({ expires_at: new Date(Date.now() - 60_000) }).where("id", "=", link.id).execute();
    expect((await expectCode(stats(), "NOT_FOUND")).message).toBe("This shared link has expired");
    // …and an admin lifts it: the link is live again, but what was handed out before stays dead.
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, expiresAt: null });
    await expectCode(stats(), "UNAUTHORIZED");
    await expectCode(unlocked().share.stats({ slug: link.slug, period: WEEK, filters: [] }), "UNAUTHORIZED");
    expect((await unlocked().share.resolve({ slug: link.slug })).locked).toBe(true);
    // Moved to a later date instead of removed: the same.
    const second = (await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id })).token;
    await frame().share.stats({ slug: link.slug, period: WEEK, filters: [], token: second });
    await db.updateTable("shared_links").set({ expires_at: new Date(Date.now() - 60_000) }).where("id", "=", link.id).execute();
    await owner.caller.sharedLinks.update({ site: domain, id: link.id, expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    await expectCode(frame().share.stats({ slug: link.slug, period: WEEK, filters: [], token: second }), "UNAUTHORIZED");
    // A token minted now works.
    const fresh = (await owner.caller.sharedLinks.createEmbedToken({ site: domain, id: link.id })).token;
    expect((await frame().share.stats({ slug: link.slug, period: WEEK, filters: [], token: fresh })).totals.visitors).toBe(5);
  });
});
