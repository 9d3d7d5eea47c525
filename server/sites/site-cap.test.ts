import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { expectCode, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { addMember } from "./sites.js";

// Low, so the test reaches it; the default is generous (README, Configuration).
const MAX = 3;
process.env.MAX_SITES_PER_ACCOUNT = String(MAX);

let db: Db;
beforeAll(async () => {
  db = await freshDb();
});

const owned = async (userId: string) =>
  Number(
    (await db.selectFrom("site_memberships").select((eb) => eb.fn.countAll<string>().as("n")).where("user_id", "=", userId).where("role", "=", "owner").executeTakeFirstOrThrow()).n,
  );

describe("sites per account", () => {
  it("an account owns at most MAX_SITES_PER_ACCOUNT sites; the refusal says so and adds nothing", async () => {
    const owner = await signedIn(db, "owner");
    for (let i = 1; i <= MAX; i++) await owner.caller.sites.create({ domain: `mine-${i}.example`, timezone: "UTC" });
    const refused = await expectCode(owner.caller.sites.create({ domain: "one-too-many.example", timezone: "UTC" }), "FORBIDDEN");
    expect(refused.message).toBe(
      `An account can own at most ${MAX} sites on this server, and yours has ${MAX}. Ask whoever runs this Glimpse server to raise MAX_SITES_PER_ACCOUNT if you need more.`,
    );
    expect(await owned(owner.user.id)).toBe(MAX);
    expect(await db.selectFrom("sites").select("id").where("domain", "=", "one-too-many.example").executeTakeFirst()).toBeUndefined();
    // Sites it was only invited to do not count against it; other accounts have their own.
    const other = await signedIn(db, "other");
    const theirs = await other.caller.sites.create({ domain: "theirs.example", timezone: "UTC" });
    await addMember(db, theirs.id, owner.user.id, "admin");
    expect((await owner.caller.sites.list()).map((s) => s.domain)).toContain("theirs.example");
    await expectCode(owner.caller.sites.create({ domain: "still-too-many.example", timezone: "UTC" }), "FORBIDDEN");
  });

  it("holds when an account adds sites at the same time", async () => {
    const racer = await signedIn(db, "racer");
    for (let i = 1; i < MAX; i++) await racer.caller.sites.create({ domain: `race-${i}.example`, timezone: "UTC" });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => racer.caller.sites.create({ domain: `race-last-${n}.example`, timezone: "UTC" })));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason.code).toBe("FORBIDDEN");
    expect(await owned(racer.user.id)).toBe(MAX);
  });
});
