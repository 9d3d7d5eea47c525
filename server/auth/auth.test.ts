import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { limitKey } from "../net/client-address.js";
import { createCaller } from "../root.js";
import { anonymous, expectCode, sessionOf, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { SESSION_DAYS, validateSession } from "./sessions.js";
import { sha256Hex } from "./tokens.js";
import { testContext } from "../../test/support/services.js";

let db: Db;
const PASSWORD = "a long enough password";

beforeAll(async () => {
  db = await freshDb();
});

const withToken = (token: string) => createCaller(testContext({ db, sessionToken: token }));
const withKey = (apiKey: string) => createCaller(testContext({ db, apiKey }));

describe("sign-up and login", () => {
  it("signs up, stores an Argon2id hash and a SHA-256 of the session token only", async () => {
    const { user, token } = await anonymous(db).auth.signup({ email: "  Ada@Example.test ", password: PASSWORD });
    expect(user.email).toBe("Ada@Example.test");
    const row = await db.selectFrom("users").select("password_hash").where("id", "=", user.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    const sessions = await db.selectFrom("sessions").select("id").where("user_id", "=", user.id).execute();
    expect(sessions.map((s) => s.id)).toEqual([sha256Hex(token)]);
    expect(await withToken(token).auth.me()).toMatchObject({ email: "Ada@Example.test" });
  });

  it("refuses a second account for the same email in any case", async () => {
    const error = await expectCode(anonymous(db).auth.signup({ email: "ADA@example.TEST", password: PASSWORD }), "CONFLICT");
    expect(error.message).toMatch(/already exists/);
  });

  it("applies the password policy at sign-up", async () => {
    const error = await expectCode(anonymous(db).auth.signup({ email: "short@example.test", password: "too short" }), "BAD_REQUEST");
    expect(error.message).toBe("Password must be at least 12 characters");
  });

  it("gives one message for an unknown email and for a wrong password", async () => {
    const unknown = await expectCode(anonymous(db).auth.login({ email: "nobody@example.test", password: PASSWORD }), "UNAUTHORIZED");
    const wrong = await expectCode(anonymous(db).auth.login({ email: "ada@example.test", password: "not the password" }), "UNAUTHORIZED");
    expect(unknown.message).toBe("Invalid email or password");
    expect(wrong.message).toBe("Invalid email or password");
    const { token } = await sessionOf(anonymous(db).auth.login({ email: "ADA@example.test", password: PASSWORD }));
    expect(await withToken(token).auth.me()).toMatchObject({ email: "Ada@Example.test" });
  });

  it("throttles one network's failures for an account without locking the owner out elsewhere", async () => {
    await anonymous(db).auth.signup({ email: "target@example.test", password: PASSWORD });
    const attacker = "203.0.113.7";
    for (let i = 0; i < 10; i++) {
      await expectCode(anonymous(db, attacker).auth.login({ email: "target@example.test", password: `guess ${i}` }), "UNAUTHORIZED");
    }
    const limited = await expectCode(anonymous(db, attacker).auth.login({ email: "target@example.test", password: PASSWORD }), "TOO_MANY_REQUESTS");
    expect((limited.cause as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(0);
    const { token } = await sessionOf(anonymous(db, "198.51.100.20").auth.login({ email: "target@example.test", password: PASSWORD }));
    expect(await withToken(token).auth.me()).toMatchObject({ email: "target@example.test" });
  });

  it("counts each attempt before checking it: 60 concurrent wrong logins check at most 10 passwords", async () => {
    const email = "raced@example.test";
    await anonymous(db).auth.signup({ email, password: PASSWORD });
    const client = "203.0.113.8";
    // Refused at once (no pause), so the race is as tight as a flood can make it.
    const impatient = () => createCaller(testContext({ db, ip: client, pauses: false }));
    const results = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => impatient().auth.login({ email, password: `race ${i}` })));
    const codes = results.map((r) => (r.status === "rejected" ? r.reason.code : "OK"));
    const checked = codes.filter((c) => c === "UNAUTHORIZED").length;
    expect(checked).toBeLessThanOrEqual(10);
    expect(codes.filter((c) => c === "TOO_MANY_REQUESTS").length).toBe(60 - checked);
    // Only checked (wrong) passwords stay counted; refusals and busy answers were given back.
    const hits = await db.selectFrom("rate_limit_hits").select("hits").where("key", "=", limitKey("login:account+client", email, client)).execute();
    expect(hits.reduce((sum, r) => sum + r.hits, 0)).toBe(checked);
    await sessionOf(anonymous(db, "198.51.100.21").auth.login({ email, password: PASSWORD }));
  });

  it("stores fixed-length limit keys, however long the address or email", async () => {
    const email = `${"x".repeat(200)}@example.test`;
    await expectCode(anonymous(db, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff").auth.login({ email, password: "p".repeat(256) }), "UNAUTHORIZED");
    const keys = await db.selectFrom("rate_limit_hits").select("key").execute();
    expect(Math.max(...keys.map((k) => k.key.length))).toBeLessThanOrEqual(64);
  });

  it("refuses an existing email's sign-up without hashing, and counts sign-ups per network first", async () => {
    const client = "203.0.113.9";
    // Hashing is one at a time per network: had these been hashed, most would be refused as busy.
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => anonymous(db, client).auth.signup({ email: "ada@example.test", password: PASSWORD })),
    );
    expect(results.map((r) => (r.status === "rejected" ? r.reason.code : "OK"))).toEqual(Array(8).fill("CONFLICT"));
    for (let i = 8; i < 20; i++) await expectCode(anonymous(db, client).auth.signup({ email: "ada@example.test", password: PASSWORD }), "CONFLICT");
    const limited = await expectCode(anonymous(db, client).auth.signup({ email: `new-${Date.now()}@example.test`, password: PASSWORD }), "TOO_MANY_REQUESTS");
    expect(limited.message).toMatch(/Too many sign-ups from this network/);
  });

  it("logs out by deleting the session", async () => {
    const { token } = await sessionOf(anonymous(db).auth.login({ email: "ada@example.test", password: PASSWORD }));
    await withToken(token).auth.logout();
    expect(await withToken(token).auth.me()).toBeNull();
    await expectCode(withToken(token).sites.list(), "UNAUTHORIZED");
  });
});

describe("sessions", () => {
  it("slide: a session used after half its life is extended, an expired one is gone", async () => {
    const { user, token } = await signedIn(db, "slider");
    const day = 24 * 3600_000;
    const later = new Date(Date.now() + (SESSION_DAYS - 10) * day);
    expect(await validateSession(db, token, later)).toMatchObject({ id: user.id });
    const row = await db.selectFrom("sessions").select("expires_at").where("id", "=", sha256Hex(token)).executeTakeFirstOrThrow();
    expect(row.expires_at.getTime()).toBe(later.getTime() + SESSION_DAYS * day);
    expect(await validateSession(db, token, new Date(later.getTime() + (SESSION_DAYS + 1) * day))).toBeNull();
    expect(await db.selectFrom("sessions").select("id").where("id", "=", sha256Hex(token)).executeTakeFirst()).toBeUndefined();
  });
});

describe("API keys", () => {
  it("are shown once, stored as SHA-256, authenticate, record last use, and stop working when revoked", async () => {
    const { caller } = await signedIn(db, "tooling");
    const { key, apiKey } = await caller.auth.apiKeys.create({ name: "Audit script" });
    expect(key).toMatch(/^glk_/);
    expect(apiKey.prefix).toBe(key.slice(0, apiKey.prefix.length));
    const row = await db.selectFrom("api_keys").select(["key_hash", "last_used_at"]).where("id", "=", apiKey.id).executeTakeFirstOrThrow();
    expect(row.key_hash).toBe(sha256Hex(key));
    expect(JSON.stringify(await caller.auth.apiKeys.list())).not.toContain(key);

    expect(await withKey(key).sites.list()).toEqual([]);
    const used = await db.selectFrom("api_keys").select("last_used_at").where("id", "=", apiKey.id).executeTakeFirstOrThrow();
    expect(used.last_used_at).not.toBeNull();

    await caller.auth.apiKeys.revoke({ id: apiKey.id });
    await expectCode(withKey(key).sites.list(), "UNAUTHORIZED");
    await expectCode(withKey("glk_not-a-real-key").sites.list(), "UNAUTHORIZED");
  });

  it("cannot mint more keys", async () => {
    const { caller } = await signedIn(db, "minter");
    const { key } = await caller.auth.apiKeys.create({ name: "Bot" });
    await expectCode(withKey(key).auth.apiKeys.create({ name: "Escalation", integration: true }), "FORBIDDEN");
  });

  it("lets only integration keys create reserved-name links, and lists every link for the site's admins", async () => {
    const { caller } = await signedIn(db, "wp");
    const site = await caller.sites.create({ domain: "blog.example", timezone: "UTC" });
    const plain = (await caller.auth.apiKeys.create({ name: "Plain" })).key;
    const integration = (await caller.auth.apiKeys.create({ name: "WordPress", integration: true })).key;
    const input = { site: site.domain, name: "WordPress - Shared Dashboard", integration: true };
    await expectCode(withKey(plain).sharedLinks.create(input), "FORBIDDEN");
    const link = await withKey(integration).sharedLinks.create(input);
    const hidden = await withKey(integration).sharedLinks.create({ site: site.domain, name: "Q3 board deck", integration: true });
    expect(link.integration).toBe(true);
    // Visible to the owner, marked, and deletable, whoever made them.
    const listed = await caller.sharedLinks.list({ site: site.domain });
    expect(listed.map((l) => [l.name, l.integration]).sort()).toEqual([
      ["Q3 board deck", true],
      ["WordPress - Shared Dashboard", true],
    ]);
    await caller.sharedLinks.delete({ site: site.domain, id: hidden.id });
    expect((await caller.sharedLinks.list({ site: site.domain })).map((l) => l.id)).toEqual([link.id]);
  });
});

describe("sites", () => {
  it("normalises the domain, refuses duplicates and lists my sites with my role", async () => {
    const { caller } = await signedIn(db, "siteowner");
    const site = await caller.sites.create({ domain: "https://www.Example.org/pricing?x=1", timezone: "Europe/Berlin" });
    expect(site).toMatchObject({ domain: "example.org", role: "owner", timezone: "Europe/Berlin" });
    const dup = await expectCode(caller.sites.create({ domain: "example.org", timezone: "UTC" }), "CONFLICT");
    expect(dup.message).toBe("example.org is already registered in Glimpse");
    await expectCode(caller.sites.create({ domain: "not a domain", timezone: "UTC" }), "BAD_REQUEST");
    await expectCode(caller.sites.create({ domain: "ok.example", timezone: "Mars/Olympus" }), "BAD_REQUEST");
    expect((await caller.sites.list()).map((s) => [s.domain, s.role])).toEqual([["example.org", "owner"]]);
  });
});
