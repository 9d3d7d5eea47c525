import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import type { TRPCError } from "@trpc/server";
import { fieldErrorsOf } from "../trpc.js";
import { verifyPassword } from "../auth/password.js";
import { expectCode, member, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";

const PASSWORD = "Correct-Horse-42";
const MOBILE = [{ dimension: "device" as const, operator: "is" as const, values: ["Mobile"] }];

let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let site: { id: string; domain: string };

beforeAll(async () => {
  db = await freshDb();
  owner = await signedIn(db, "owner");
  site = await siteOwnedBy(db, owner.user.id);
});

const create = (name: string, extra: Record<string, unknown> = {}) =>
  owner.caller.sharedLinks.create({ site: site.domain, name, ...extra });

describe("creating shared links", () => {
  it("generates a 21-character nanoid slug and the full share URL", async () => {
    const link = await create("Client A");
    expect(link.slug).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect(link.url).toBe(`http://localhost:3000/share/${link.slug}`);
    expect(link.hasPassword).toBe(false);
    expect(link.segment).toBeNull();
  });

  it("trims the name", async () => {
    const link = await create("   Padded name  ");
    expect(link.name).toBe("Padded name");
  });

  it("rejects an empty, blank or over-long name with the rule that failed", async () => {
    const blank = await expectCode(create("   "), "BAD_REQUEST");
    expect(blank.message).toBe("Name is required");
    const long = await expectCode(create("x".repeat(101)), "BAD_REQUEST");
    expect(long.message).toBe("Name must be at most 100 characters");
    expect(await create("é".repeat(100))).toMatchObject({ name: "é".repeat(100) });
  });

  it("refuses characters that change how a name reads without being seen, and keeps joiners", async () => {
    for (const hidden of ["\u202e", "\u2066", "\u200f", "\u2028", "\u0085", "\u200b", "\ufeff", "\u3164"]) {
      const refused = await expectCode(create(`Board${hidden}evil`), "BAD_REQUEST");
      expect(refused.message).toBe("Name cannot contain invisible formatting characters (such as a right-to-left override)");
    }
    expect(await create("Team 👩\u200d💻 report")).toMatchObject({ name: "Team 👩\u200d💻 report" });
    // Nor does a reserved name pass in full-width letters.
    await expectCode(create("ＷｏｒｄＰｒｅｓｓ - Shared Dashboard"), "BAD_REQUEST");
  });

  it("rejects a slug in the input", async () => {
    const error = await expectCode(create("With slug", { slug: "my-own-slug-000000000" }), "BAD_REQUEST");
    expect(error.message).toMatch(/slug/);
    const rows = await db.selectFrom("shared_links").select("id").where("name", "=", "With slug").execute();
    expect(rows).toHaveLength(0);
  });

  it("refuses reserved names in any letter case", async () => {
    for (const name of ["WordPress - Shared Dashboard", "wordpress - shared dashboard", " WORDPRESS - SHARED DASHBOARD "]) {
      const error = await expectCode(create(name), "BAD_REQUEST");
      expect(error.message).toBe(`“${name.trim()}” is a reserved name. Please choose another one`);
    }
  });

  it("refuses the integration flag for a session user", async () => {
    await expectCode(create("WordPress - Shared Dashboard", { integration: true }), "FORBIDDEN");
  });

  it("enforces the password policy without trimming", async () => {
    const short = await expectCode(create("Short pw", { password: "elevenchars" }), "BAD_REQUEST");
    expect(short.message).toBe("Password must be at least 12 characters");
    await expectCode(create("Long pw", { password: "x".repeat(257) }), "BAD_REQUEST");
    // Twelve characters only because of the spaces: they count, they are not trimmed.
    const spaced = await create("Spaced pw", { password: "  ten chars " });
    const row = await db.selectFrom("shared_links").select("password_hash").where("id", "=", spaced.id).executeTakeFirstOrThrow();
    expect(await verifyPassword(row.password_hash!, "  ten chars ", "system")).toBe(true);
    expect(await verifyPassword(row.password_hash!, "ten chars", "system")).toBe(false);
  });

  it("stores an Argon2id hash that verifies only the exact, case-sensitive password", async () => {
    const link = await create("Protected", { password: PASSWORD });
    expect(link.hasPassword).toBe(true);
    const row = await db.selectFrom("shared_links").select("password_hash").where("id", "=", link.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(row.password_hash!, PASSWORD, "system")).toBe(true);
    expect(await verifyPassword(row.password_hash!, PASSWORD.toLowerCase(), "system")).toBe(false);
    expect(await verifyPassword(row.password_hash!, `${PASSWORD} `, "system")).toBe(false);
  });
});

describe("name uniqueness", () => {
  it("50 concurrent creates with one name give exactly one link and 49 conflicts", async () => {
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => create("Race")));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(failures).toHaveLength(49);
    for (const failure of failures) {
      expect(failure.reason.code).toBe("CONFLICT");
      expect(failure.reason.message).toBe("A shared link named “Race” already exists for this site");
    }
    const rows = await db.selectFrom("shared_links").select("id").where("site_id", "=", site.id).where("name", "=", "Race").execute();
    expect(rows).toHaveLength(1);
  });

  it("50 concurrent creates that differ only in letter case give one link", async () => {
    const names = Array.from({ length: 50 }, (_, i) => (i % 2 ? "case race" : `CASE Race`.slice(0, 4) + " race".toUpperCase().slice(0, i % 3 + 1) + " race".slice(i % 3 + 1)));
    const results = await Promise.allSettled(names.map((name) => create(name)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const codes = results.flatMap((r) => (r.status === "rejected" ? [r.reason.code] : []));
    expect(codes).toEqual(Array(49).fill("CONFLICT"));
    const count = await db
      .selectFrom("shared_links")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("site_id", "=", site.id)
      .where((eb) => eb(eb.fn("lower", ["name"]), "=", "case race"))
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(1);
  });

  it("allows the same name on another site", async () => {
    const other = await siteOwnedBy(db, owner.user.id);
    await owner.caller.sharedLinks.create({ site: other.domain, name: "Client A" });
  });

  it("reports a rename onto an existing name as a conflict on the name field", async () => {
    const a = await create("Rename A");
    await create("Rename B");
    const error = await expectCode(owner.caller.sharedLinks.update({ site: site.domain, id: a.id, name: "rename b" }), "CONFLICT");
    expect(error.message).toBe("A shared link named “rename b” already exists for this site");
    expect(fieldErrorsOf(error as TRPCError)).toEqual({ name: [error.message] });
  });
});

describe("updating shared links", () => {
  it("keeps, replaces and removes the password, bumping password_changed_at on each change", async () => {
    const link = await create("Password life", { password: PASSWORD });
    const kept = await owner.caller.sharedLinks.update({ site: site.domain, id: link.id, name: "Password life 2" });
    expect(kept.hasPassword).toBe(true);
    expect(kept.passwordChangedAt).toBe(link.passwordChangedAt);

    const replaced = await owner.caller.sharedLinks.update({ site: site.domain, id: link.id, password: "another-secret-99" });
    expect(replaced.hasPassword).toBe(true);
    expect(Date.parse(replaced.passwordChangedAt!)).toBeGreaterThan(Date.parse(link.passwordChangedAt!));
    const row = await db.selectFrom("shared_links").select("password_hash").where("id", "=", link.id).executeTakeFirstOrThrow();
    expect(await verifyPassword(row.password_hash!, "another-secret-99", "system")).toBe(true);
    expect(await verifyPassword(row.password_hash!, PASSWORD, "system")).toBe(false);

    const removed = await owner.caller.sharedLinks.update({ site: site.domain, id: link.id, password: null });
    expect(removed.hasPassword).toBe(false);
    expect(Date.parse(removed.passwordChangedAt!)).toBeGreaterThan(Date.parse(replaced.passwordChangedAt!));
  });

  it("rejects a slug in the update input and leaves the link unchanged", async () => {
    const link = await create("Fixed slug");
    await expectCode(owner.caller.sharedLinks.update({ site: site.domain, id: link.id, slug: "x".repeat(21) } as never), "BAD_REQUEST");
    expect((await owner.caller.sharedLinks.get({ site: site.domain, id: link.id })).slug).toBe(link.slug);
  });

  it("refuses to rename a link to a reserved name", async () => {
    const link = await create("Not reserved");
    await expectCode(owner.caller.sharedLinks.update({ site: site.domain, id: link.id, name: "WORDPRESS - Shared Dashboard" }), "BAD_REQUEST");
  });
});

describe("segments on links", () => {
  it("accepts a segment of the same site and rejects one of another site", async () => {
    const segment = await owner.caller.segments.create({ site: site.domain, name: "Mobile", filters: [...MOBILE] });
    const link = await create("Mobile only", { segmentId: segment.id });
    expect(link.segment).toMatchObject({ id: segment.id, name: "Mobile" });

    const other = await siteOwnedBy(db, owner.user.id);
    const foreign = await owner.caller.segments.create({ site: other.domain, name: "Foreign", filters: [...MOBILE] });
    const error = await expectCode(create("Foreign segment", { segmentId: foreign.id }), "NOT_FOUND");
    expect(error.message).toBe("Segment not found for this site");
    await expectCode(owner.caller.sharedLinks.update({ site: site.domain, id: link.id, segmentId: foreign.id }), "NOT_FOUND");
    await expectCode(create("Missing segment", { segmentId: crypto.randomUUID() }), "NOT_FOUND");
  });

  it("refuses to delete a segment used by links and names them", async () => {
    const segment = await owner.caller.segments.create({ site: site.domain, name: "In use", filters: [...MOBILE] });
    await create("Investor view", { segmentId: segment.id });
    await create("Board view", { segmentId: segment.id });
    const error = await expectCode(owner.caller.segments.delete({ site: site.domain, id: segment.id }), "CONFLICT");
    expect(error.message).toContain("“Board view”");
    expect(error.message).toContain("“Investor view”");
    expect(await owner.caller.segments.get({ site: site.domain, id: segment.id })).toMatchObject({ name: "In use" });
  });
});

describe("access control", () => {
  it("gives a member of site A NOT_FOUND for site B's links and segments", async () => {
    const link = await create("Secret B");
    const segment = await owner.caller.segments.create({ site: site.domain, name: "Secret segment", filters: [...MOBILE] });
    const stranger = await signedIn(db, "stranger");
    await siteOwnedBy(db, stranger.user.id);
    const s = stranger.caller;
    await expectCode(s.sharedLinks.list({ site: site.domain }), "NOT_FOUND");
    await expectCode(s.sharedLinks.get({ site: site.domain, id: link.id }), "NOT_FOUND");
    await expectCode(s.sharedLinks.update({ site: site.domain, id: link.id, name: "Taken" }), "NOT_FOUND");
    await expectCode(s.sharedLinks.delete({ site: site.domain, id: link.id }), "NOT_FOUND");
    await expectCode(s.segments.get({ site: site.domain, id: segment.id }), "NOT_FOUND");
    await expectCode(s.segments.update({ site: site.domain, id: segment.id, name: "Taken" }), "NOT_FOUND");
    await expectCode(s.segments.delete({ site: site.domain, id: segment.id }), "NOT_FOUND");
    expect((await owner.caller.sharedLinks.get({ site: site.domain, id: link.id })).name).toBe("Secret B");
  });

  it("gives NOT_FOUND when a link id of site B is used through site A", async () => {
    const link = await create("Other site's link");
    const mine = await siteOwnedBy(db, owner.user.id);
    await expectCode(owner.caller.sharedLinks.get({ site: mine.domain, id: link.id }), "NOT_FOUND");
    await expectCode(owner.caller.sharedLinks.delete({ site: mine.domain, id: link.id }), "NOT_FOUND");
  });

  it("lets a viewer list but gives FORBIDDEN on every mutation", async () => {
    const link = await create("Viewer target");
    const viewer = await member(db, site.id, "viewer");
    expect((await viewer.caller.sharedLinks.list({ site: site.domain })).length).toBeGreaterThan(0);
    await expectCode(viewer.caller.sharedLinks.create({ site: site.domain, name: "By viewer" }), "FORBIDDEN");
    await expectCode(viewer.caller.sharedLinks.update({ site: site.domain, id: link.id, name: "By viewer" }), "FORBIDDEN");
    await expectCode(viewer.caller.sharedLinks.delete({ site: site.domain, id: link.id }), "FORBIDDEN");
    await expectCode(viewer.caller.segments.create({ site: site.domain, name: "By viewer", filters: [...MOBILE] }), "FORBIDDEN");
  });

  it("lets an admin manage links", async () => {
    const admin = await member(db, site.id, "admin");
    const link = await admin.caller.sharedLinks.create({ site: site.domain, name: "By admin" });
    await admin.caller.sharedLinks.delete({ site: site.domain, id: link.id });
  });

  it("gives UNAUTHORIZED without a session", async () => {
    const { anonymous } = await import("../../test/support/actors.js");
    await expectCode(anonymous(db).sharedLinks.list({ site: site.domain }), "UNAUTHORIZED");
  });
});

describe("deleting and auditing", () => {
  it("deletes permanently and writes an audit row for create, update and delete without secrets", async () => {
    const link = await create("Audited", { password: PASSWORD });
    await owner.caller.sharedLinks.update({ site: site.domain, id: link.id, name: "Audited 2", password: "second-password-1" });
    await owner.caller.sharedLinks.delete({ site: site.domain, id: link.id });
    await expectCode(owner.caller.sharedLinks.get({ site: site.domain, id: link.id }), "NOT_FOUND");
    await expectCode(owner.caller.sharedLinks.delete({ site: site.domain, id: link.id }), "NOT_FOUND");

    const rows = await db.selectFrom("link_audit").selectAll().where("link_id", "=", link.id).orderBy("id").execute();
    expect(rows.map((r) => r.action)).toEqual(["create", "update", "delete"]);
    expect(rows.every((r) => r.actor_user_id === owner.user.id)).toBe(true);
    expect(rows[1]!.before).toMatchObject({ name: "Audited", hasPassword: true });
    expect(rows[1]!.after).toMatchObject({ name: "Audited 2", hasPassword: true });
    const text = JSON.stringify(rows);
    for (const secret of [PASSWORD, "second-password-1", "$argon2", link.slug]) expect(text).not.toContain(secret);
  });

  it("never returns a password or a hash from any procedure", async () => {
    const segment = await owner.caller.segments.create({ site: site.domain, name: "Output check", filters: [...MOBILE] });
    const link = await create("Output check", { password: PASSWORD, segmentId: segment.id });
    const outputs = [
      link,
      await owner.caller.sharedLinks.get({ site: site.domain, id: link.id }),
      await owner.caller.sharedLinks.list({ site: site.domain, includeIntegration: true }),
      await owner.caller.sharedLinks.update({ site: site.domain, id: link.id, password: "yet-another-pass" }),
      await owner.caller.segments.list({ site: site.domain }),
      await owner.caller.sites.list(),
      await owner.caller.auth.me(),
      await owner.caller.sharedLinks.delete({ site: site.domain, id: link.id }),
    ];
    const keys: string[] = [];
    JSON.stringify(outputs, (key, value) => (keys.push(key), value));
    expect(keys.filter((k) => /password|hash/i.test(k))).toEqual(expect.arrayContaining(["hasPassword"]));
    expect(keys.filter((k) => /password|hash/i.test(k) && !["hasPassword", "passwordChangedAt"].includes(k))).toEqual([]);
    const text = JSON.stringify(outputs);
    expect(text).not.toContain("$argon2");
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain('"hasPassword":true');
  });
});
