import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { expectCode, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { NO_LONGER_ADMIN } from "./members.js";

let db: Db;

beforeAll(async () => {
  db = await freshDb();
});

describe("site members", () => {
  it("adds an existing account as viewer, who can look but not manage, and removes them", async () => {
    const owner = await signedIn(db, "owner");
    const site = await siteOwnedBy(db, owner.user.id);
    const viewer = await signedIn(db, "viewer");
    await owner.caller.sites.members.add({ site: site.domain, email: viewer.user.email.toUpperCase(), role: "viewer" });
    expect((await viewer.caller.sites.get({ site: site.domain })).role).toBe("viewer");
    await expectCode(viewer.caller.sites.members.add({ site: site.domain, email: owner.user.email, role: "admin" }), "FORBIDDEN");
    await expectCode(owner.caller.sites.members.add({ site: site.domain, email: viewer.user.email, role: "admin" }), "CONFLICT");

    const members = await owner.caller.sites.members.list({ site: site.domain });
    expect(members.map((m) => m.role)).toEqual(["owner", "viewer"]);
    await expectCode(owner.caller.sites.members.remove({ site: site.domain, userId: owner.user.id }), "FORBIDDEN");
    await owner.caller.sites.members.remove({ site: site.domain, userId: viewer.user.id });
    await expectCode(viewer.caller.sites.get({ site: site.domain }), "NOT_FOUND");
  });

  it("says when no account uses the email, and never hands out the owner role", async () => {
    const owner = await signedIn(db, "owner2");
    const site = await siteOwnedBy(db, owner.user.id);
    const missing = await expectCode(owner.caller.sites.members.add({ site: site.domain, email: "nobody@example.test", role: "viewer" }), "NOT_FOUND");
    expect(missing.message).toMatch(/sign up first/);
    await expectCode(owner.caller.sites.members.add({ site: site.domain, email: owner.user.email, role: "owner" } as never), "BAD_REQUEST");
  });

  it("lets only one of two admins demoting each other at once go through: the other is no admin by then", async () => {
    const owner = await signedIn(db, "owner3");
    const site = await siteOwnedBy(db, owner.user.id);
    const [bob, frank] = [await signedIn(db, "bob"), await signedIn(db, "frank")];
    for (const admin of [bob, frank]) await owner.caller.sites.members.add({ site: site.domain, email: admin.user.email, role: "admin" });
    const results = await Promise.allSettled([
      bob.caller.sites.members.setRole({ site: site.domain, userId: frank.user.id, role: "viewer" }),
      frank.caller.sites.members.setRole({ site: site.domain, userId: bob.user.id, role: "viewer" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: "FORBIDDEN", message: NO_LONGER_ADMIN });
    const roles = (await owner.caller.sites.members.list({ site: site.domain })).map((m) => m.role).sort();
    expect(roles).toEqual(["admin", "owner", "viewer"]);
  });
});
