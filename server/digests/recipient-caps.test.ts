import { beforeAll, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { MAX_RECIPIENTS, MAX_SITE_RECIPIENTS } from "../schemas/digests.js";
import { addMember } from "../sites/sites.js";
import { expectCode, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";

// Recipient caps count rows, whether or not mail is on; without mail these tests add hundreds of
// recipients without sending hundreds of confirmations (mail-caps.test.ts covers the mail).
delete process.env.SMTP_URL;
const PER_ACCOUNT = 60;
process.env.DIGEST_RECIPIENTS_PER_ACCOUNT = String(PER_ACCOUNT);

let db: Db;
beforeAll(async () => {
  db = await freshDb();
});

type Actor = Awaited<ReturnType<typeof signedIn>>;
async function admin(siteId: string, label: string): Promise<Actor> {
  const actor = await signedIn(db, label);
  await addMember(db, siteId, actor.user.id, "admin");
  return actor;
}
const add = (who: Actor, site: string, id: string, email: string) => who.caller.sharedLinks.addDigestRecipient({ site, id, email });
const count = async () => Number((await db.selectFrom("digest_recipients").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow()).n);

describe("digest recipient caps", () => {
  it("caps a link, and a site over all its links whoever adds them, so no one makes a mailing list of links", async () => {
    const owner = await signedIn(db, "owner");
    const site = await siteOwnedBy(db, owner.user.id);
    // Each admin stays under the per-account cap: the site's cap is what stops the last one.
    const admins = [owner, ...(await Promise.all([1, 2, 3, 4].map((n) => admin(site.id, `admin${n}`))))];
    for (const [a, admin] of admins.slice(0, 4).entries()) {
      const link = await admin.caller.sharedLinks.create({ site: site.domain, name: `Mailing ${a}` });
      for (let i = 0; i < MAX_RECIPIENTS; i++) await add(admin, site.domain, link.id, `m${a}-${i}@list.test`);
      if (a === 0) {
        const full = await expectCode(add(admin, site.domain, link.id, "one-more@list.test"), "BAD_REQUEST");
        expect(full.message).toBe(`A digest can have at most ${MAX_RECIPIENTS} recipients`);
      }
    }
    expect(await count()).toBe(MAX_SITE_RECIPIENTS);
    const extra = await admins[4]!.caller.sharedLinks.create({ site: site.domain, name: "One more" });
    const refused = await expectCode(add(admins[4]!, site.domain, extra.id, "over@list.test"), "BAD_REQUEST");
    expect(refused.message).toContain(`at most ${MAX_SITE_RECIPIENTS} recipients`);
    expect(await count()).toBe(MAX_SITE_RECIPIENTS);
  });

  it("caps the recipients one account adds over all its sites, even when requests race", async () => {
    const busy = await signedIn(db, "busy");
    const sites = [await siteOwnedBy(db, busy.user.id), await siteOwnedBy(db, busy.user.id)];
    const links = await Promise.all(sites.map((s) => busy.caller.sharedLinks.create({ site: s.domain, name: "Board" })));
    for (let i = 0; i < PER_ACCOUNT - 1; i++) {
      const s = i % 2;
      // A link takes at most 50; alternate sites so only the account's cap is reached.
      await add(busy, sites[s]!.domain, links[s]!.id, `b${i}@board.test`);
    }
    const before = await count();
    // Three at once for the last place: one gets it.
    const results = await Promise.allSettled([0, 1, 2].map((n) => add(busy, sites[n % 2]!.domain, links[n % 2]!.id, `race${n}@board.test`)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason.code).toBe("BAD_REQUEST");
      expect((r as PromiseRejectedResult).reason.message).toBe(
        `An account can add at most ${PER_ACCOUNT} digest recipients over all its sites; remove some it no longer needs`,
      );
    }
    expect(await count()).toBe(before + 1);
    // A third site of its own does not help; another account is not affected.
    const third = await siteOwnedBy(db, busy.user.id);
    const link = await busy.caller.sharedLinks.create({ site: third.domain, name: "Fresh" });
    await expectCode(add(busy, third.domain, link.id, "fresh@board.test"), "BAD_REQUEST");
    const colleague = await admin(third.id, "colleague");
    await add(colleague, third.domain, link.id, "fresh@board.test");
    // Removing one frees a place.
    const settings = await busy.caller.sharedLinks.digest({ site: sites[0]!.domain, id: links[0]!.id });
    await busy.caller.sharedLinks.removeDigestRecipient({ site: sites[0]!.domain, id: links[0]!.id, recipientId: settings.recipients[0]!.id });
    await add(busy, third.domain, link.id, "again@board.test");
  });
});
