import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { expectCode, member, signedIn, siteOwnedBy } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { testContext } from "../../test/support/services.js";
import { type Inbox, recipientsOf, startSmtp } from "../../test/support/smtp.js";
import { sha256Hex } from "../auth/tokens.js";
import { INVITES_PER_ADDRESS_DAY } from "../schemas/invitations.js";
import { INVITATION_DEAD } from "./invitation-accept.js";
import { INVITATION_SUBJECT } from "./invitation-email.js";

const NEW_PASSWORD = "a password chosen from the invitation";
const T0 = new Date("2026-07-01T08:00:00Z");
const later = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

let db: Db;
let smtp: Inbox;

beforeAll(async () => {
  smtp = await startSmtp();
  process.env.SMTP_URL = smtp.url;
  db = await freshDb();
});

afterAll(async () => {
  delete process.env.SMTP_URL;
  await smtp.close();
});

beforeEach(() => {
  smtp.received.length = 0;
  smtp.refuse = null;
});

/** A caller for a session token (or nobody), at `now`, from `ip`. */
const as = (sessionToken: string | null, now = T0, ip = "192.0.2.40") => createCaller(testContext({ db, sessionToken, ip, now, pauses: false }));

function tokenOf(text: string | undefined): string {
  const match = /\/invitations\/([A-Za-z0-9_-]{43})\b/.exec(text ?? "");
  if (!match) throw new Error("no invitation link in the mail");
  return match[1]!;
}

/** An owner and their site, with a caller for the owner at `now`. */
async function ownerWithSite(label: string) {
  const owner = await signedIn(db, label);
  const site = await siteOwnedBy(db, owner.user.id);
  return { owner, site, at: (now = T0) => as(owner.token, now) };
}

async function invite(who: ReturnType<typeof as>, site: string, email: string, role: "viewer" | "admin" = "viewer") {
  const created = await who.invitations.create({ site, email, role });
  const mails = smtp.take();
  expect(mails.map((m) => recipientsOf(m).map((a) => a.toLowerCase()))).toEqual([[email.toLowerCase()]]);
  return { created, token: tokenOf(mails[0]!.text), mail: mails[0]! };
}

describe("invitations to a site", () => {
  it("mails a one-time link stored only as a hash; without an account the invitee chooses a password and is in, once", async () => {
    const { owner, site, at } = await ownerWithSite("inviting-owner");
    const { created, token, mail } = await invite(at(), site.domain, "New.Person@example.test", "admin");
    expect(created).toMatchObject({ email: "New.Person@example.test", role: "admin", mailed: true, link: null });
    expect(mail.subject).toBe(INVITATION_SUBJECT);
    expect(mail.text).toContain(owner.user.email);
    expect(mail.text).toContain(site.domain);
    const stored = await db.selectFrom("site_invitations").select(["token_hash", "expires_at"]).where("id", "=", created.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).toBe(sha256Hex(token));
    expect(stored.expires_at.toISOString()).toBe(later(7 * 24 * 60).toISOString());

    const pending = await at().invitations.list({ site: site.domain });
    expect(pending).toMatchObject([{ email: "New.Person@example.test", role: "admin", invitedBy: owner.user.email, expired: false }]);

    expect(await as(null, later(5)).invitations.get({ token })).toMatchObject({ site: site.domain, role: "admin", next: "choose-password", signedInAs: null });
    const joined = await as(null, later(5)).invitations.acceptWithPassword({ token, password: NEW_PASSWORD });
    expect(joined).toMatchObject({ site: site.domain, role: "admin", user: { email: "New.Person@example.test" } });
    expect(await as(joined.token, later(6)).sites.get({ site: site.domain })).toMatchObject({ role: "admin" });
    expect(await at().invitations.list({ site: site.domain })).toEqual([]);
    // The mailed link reached the address: the new account's address is confirmed (decision 014).
    expect((await as(joined.token, later(6)).auth.email.status()).confirmed).toBe(true);

    expect(await as(null, later(6)).invitations.get({ token })).toBeNull();
    const again = await expectCode(as(null, later(6), "192.0.2.41").invitations.acceptWithPassword({ token, password: "another long password" }), "BAD_REQUEST");
    expect(again.message).toBe(INVITATION_DEAD);
    expect(await db.selectFrom("users").select("id").where("email", "ilike", "new.person@example.test").execute()).toHaveLength(1);
  });

  it("with an account, the invitee accepts after logging in as the invited address; anyone else is refused and gets nothing", async () => {
    const { site, at } = await ownerWithSite("owner-existing");
    const invitee = await signedIn(db, "invitee");
    const someoneElse = await signedIn(db, "forwarded-to");
    const { token } = await invite(at(), site.domain, invitee.user.email.toUpperCase(), "viewer");

    expect(await as(null).invitations.get({ token })).toMatchObject({ next: "log-in" });
    await expectCode(as(null).invitations.acceptWithPassword({ token, password: NEW_PASSWORD }), "CONFLICT");
    expect(await as(someoneElse.token).invitations.get({ token })).toMatchObject({ next: "wrong-account", signedInAs: someoneElse.user.email });
    const refused = await expectCode(as(someoneElse.token).invitations.accept({ token }), "FORBIDDEN");
    expect(refused.message).toContain(`This invitation is for ${invitee.user.email.toUpperCase()}`);
    await expectCode(as(someoneElse.token).sites.get({ site: site.domain }), "NOT_FOUND");

    expect(await as(invitee.token).invitations.get({ token })).toMatchObject({ next: "accept" });
    expect(await as(invitee.token).invitations.accept({ token })).toEqual({ site: site.domain, role: "viewer", alreadyMember: false });
    expect(await as(invitee.token).sites.get({ site: site.domain })).toMatchObject({ role: "viewer" });
    await expectCode(as(invitee.token).invitations.accept({ token }), "BAD_REQUEST");
  });

  it("only the site's admins list, invite, resend and revoke; others get FORBIDDEN or NOT_FOUND", async () => {
    const { site, at } = await ownerWithSite("owner-access");
    const viewer = await member(db, site.id, "viewer");
    const outsider = await signedIn(db, "outsider");
    const { created } = await invite(at(), site.domain, "guarded@example.test");
    const ref = { site: site.domain, id: created.id };
    for (const [who, code] of [
      [as(viewer.token), "FORBIDDEN"],
      [as(outsider.token), "NOT_FOUND"],
      [as(null), "UNAUTHORIZED"],
    ] as const) {
      await expectCode(who.invitations.list({ site: site.domain }), code);
      await expectCode(who.invitations.create({ site: site.domain, email: "x@example.test", role: "viewer" }), code);
      await expectCode(who.invitations.resend(ref), code);
      await expectCode(who.invitations.revoke(ref), code);
    }
    await expectCode(at().invitations.create({ site: site.domain, email: "x@example.test", role: "owner" } as never), "BAD_REQUEST");
    // Another site's invitation is not found through this one.
    const other = await ownerWithSite("owner-other");
    await expectCode(other.at().invitations.revoke({ site: other.site.domain, id: created.id }), "NOT_FOUND");
    expect(await at().invitations.list({ site: site.domain })).toHaveLength(1);
    expect(smtp.take()).toEqual([]);
  });

  it("says so for an address that has access already, or is invited already", async () => {
    const { owner, site, at } = await ownerWithSite("owner-dupes");
    const viewer = await member(db, site.id, "viewer");
    const self = await expectCode(at().invitations.create({ site: site.domain, email: owner.user.email, role: "admin" }), "CONFLICT");
    expect(self.message).toBe(`${owner.user.email} already has access to this site (owner)`);
    const existing = await expectCode(at().invitations.create({ site: site.domain, email: ` ${viewer.user.email.toUpperCase()} `, role: "admin" }), "CONFLICT");
    expect(existing.message).toBe(`${viewer.user.email} already has access to this site (viewer)`);
    await invite(at(), site.domain, "twice@example.test");
    const twice = await expectCode(at(later(1)).invitations.create({ site: site.domain, email: "TWICE@example.test", role: "admin" }), "CONFLICT");
    expect(twice.message).toMatch(/already invited; send the invitation again/);
    expect(smtp.take()).toEqual([]);
  });

  it("resends at most every ten minutes with a new link (the old one dies), and revoking kills the link", async () => {
    const { site, at } = await ownerWithSite("owner-resend");
    const { created, token: first } = await invite(at(), site.domain, "resend@example.test");
    const ref = { site: site.domain, id: created.id };
    const soon = await expectCode(at(later(5)).invitations.resend(ref), "TOO_MANY_REQUESTS");
    expect(soon.message).toMatch(/less than 10 minutes ago/);
    expect(await at(later(11)).invitations.resend(ref)).toMatchObject({ mailed: true, link: null });
    const [mail] = smtp.take();
    const second = tokenOf(mail!.text);
    expect(second).not.toBe(first);
    expect(await as(null, later(12)).invitations.get({ token: first })).toBeNull();
    expect(await as(null, later(12)).invitations.get({ token: second })).toMatchObject({ email: "resend@example.test" });
    expect(await at(later(12)).invitations.revoke(ref)).toEqual({ email: "resend@example.test" });
    expect(await as(null, later(12)).invitations.get({ token: second })).toBeNull();
    await expectCode(at(later(12)).invitations.revoke(ref), "NOT_FOUND");
  });

  it("an invitation expires after seven days, is listed as expired, and can be made again", async () => {
    const { site, at } = await ownerWithSite("owner-expiry");
    const { token } = await invite(at(), site.domain, "slow@example.test");
    const week = later(7 * 24 * 60 + 1);
    expect(await as(null, week).invitations.get({ token })).toBeNull();
    await expectCode(as(null, week).invitations.acceptWithPassword({ token, password: NEW_PASSWORD }), "BAD_REQUEST");
    expect(await at(week).invitations.list({ site: site.domain })).toMatchObject([{ email: "slow@example.test", expired: true }]);
    const { token: fresh } = await invite(at(week), site.domain, "slow@example.test");
    expect(await at(week).invitations.list({ site: site.domain })).toMatchObject([{ expired: false }]);
    expect(await as(null, week).invitations.get({ token: fresh })).toMatchObject({ next: "choose-password" });
  });

  it("sends one address only a few invitations a day, whoever invites it", async () => {
    const { site, at } = await ownerWithSite("owner-caps");
    for (let i = 0; i < INVITES_PER_ADDRESS_DAY; i++) {
      const { created } = await invite(at(later(i)), site.domain, "popular@example.test");
      await at(later(i)).invitations.revoke({ site: site.domain, id: created.id });
    }
    const other = await ownerWithSite("owner-caps-2");
    const refused = await expectCode(other.at(later(10)).invitations.create({ site: other.site.domain, email: "Popular@example.test", role: "viewer" }), "TOO_MANY_REQUESTS");
    expect(refused.message).toBe("No more invitations go to this address today");
    expect(await other.at(later(10)).invitations.list({ site: other.site.domain })).toEqual([]);
    expect(smtp.take()).toEqual([]);
  });

  it("leaves nothing behind when the mail server does not take the invitation", async () => {
    const { site, at } = await ownerWithSite("owner-smtp-down");
    smtp.refuse = "try later";
    const failed = await expectCode(at().invitations.create({ site: site.domain, email: "unlucky@example.test", role: "viewer" }), "SERVICE_UNAVAILABLE");
    expect(failed.message).toMatch(/was not invited/);
    expect(await at().invitations.list({ site: site.domain })).toEqual([]);
    smtp.refuse = null;
    await invite(at(), site.domain, "unlucky@example.test");
  });
});

describe("members and roles", () => {
  it("changes a member's role; an owner's stays, and the last admin can be neither demoted nor removed", async () => {
    const { owner, site, at } = await ownerWithSite("owner-roles");
    const admin = await member(db, site.id, "admin");
    const viewer = await member(db, site.id, "viewer");
    expect(await at().sites.members.setRole({ site: site.domain, userId: viewer.user.id, role: "admin" })).toMatchObject({ role: "admin", changed: true });
    await expectCode(as(admin.token).sites.members.setRole({ site: site.domain, userId: owner.user.id, role: "viewer" }), "FORBIDDEN");
    await expectCode(as(viewer.token).sites.members.setRole({ site: site.domain, userId: viewer.user.id, role: "owner" } as never), "BAD_REQUEST");

    // A site whose owner is gone (an account removed by the operator): its admins are the last ones.
    await db.deleteFrom("site_memberships").where("site_id", "=", site.id).where("user_id", "=", owner.user.id).execute();
    await as(admin.token).sites.members.setRole({ site: site.domain, userId: viewer.user.id, role: "viewer" });
    const demote = await expectCode(as(admin.token).sites.members.setRole({ site: site.domain, userId: admin.user.id, role: "viewer" }), "FORBIDDEN");
    expect(demote.message).toMatch(/at least one admin/);
    await expectCode(as(admin.token).sites.members.remove({ site: site.domain, userId: admin.user.id }), "FORBIDDEN");
    expect(await as(admin.token).sites.get({ site: site.domain })).toMatchObject({ role: "admin" });
    await as(admin.token).sites.members.setRole({ site: site.domain, userId: viewer.user.id, role: "admin" });
    await as(admin.token).sites.members.remove({ site: site.domain, userId: admin.user.id });
    await expectCode(as(admin.token).sites.get({ site: site.domain }), "NOT_FOUND");
  });
});
