import { describe, expect, it } from "vitest";
import { env } from "../env.js";
import { expectCode, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { createCaller } from "../root.js";
import { testContext } from "../../test/support/services.js";
import { sha256Hex } from "../auth/tokens.js";

describe("invitations without SMTP_URL", () => {
  it("hands the admin the link once, and Resend a new one (the old one dies); the link works like a mailed one", async () => {
    delete process.env.SMTP_URL;
    expect(env().mail).toBeNull();
    const db = await freshDb();
    const owner = await signedIn(db, "no-mail-owner");
    const site = await siteOwnedBy(db, owner.user.id);
    const created = await owner.caller.invitations.create({ site: site.domain, email: "colleague@example.test", role: "viewer" });
    expect(created).toMatchObject({ mailed: false, link: expect.stringMatching(/^http:\/\/localhost:\d+\/invitations\/[A-Za-z0-9_-]{43}$/) });
    const first = created.link!.split("/").pop()!;
    expect(await db.selectFrom("site_invitations").select(["token_hash", "sent_at"]).execute()).toEqual([{ token_hash: sha256Hex(first), sent_at: null }]);
    expect((await owner.caller.invitations.list({ site: site.domain }))[0]).not.toHaveProperty("link");

    // No wait between new links while nothing is mailed; each replaces the one before.
    const resent = await owner.caller.invitations.resend({ site: site.domain, id: created.id });
    const second = resent.link!.split("/").pop()!;
    expect(second).not.toBe(first);
    const visitor = createCaller(testContext({ db, ip: "192.0.2.77" }));
    expect(await visitor.invitations.get({ token: first })).toBeNull();
    const joined = await visitor.invitations.acceptWithPassword({ token: second, password: "colleague's own password" });
    expect(joined).toMatchObject({ site: site.domain, role: "viewer" });
    // A link the admin passed on proves nothing about the address.
    expect(await db.selectFrom("users").select("email_confirmed_at").where("id", "=", joined.user.id).executeTakeFirstOrThrow()).toEqual({ email_confirmed_at: null });
    await expectCode(owner.caller.invitations.resend({ site: site.domain, id: created.id }), "NOT_FOUND");
  });
});
