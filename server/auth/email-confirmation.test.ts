import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { expectCode, sessionOf, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { testContext } from "../../test/support/services.js";
import { confirmTokenOf, type Inbox, recipientsOf, startSmtp } from "../../test/support/smtp.js";
import { CONFIRM_EMAIL_SUBJECT } from "./confirm-email-message.js";
import { CONFIRM_LINK_DEAD, CONFIRM_OTHER_ACCOUNT, UNCONFIRMED_SENDER } from "./email-confirmation.js";

/**
 * Sign-up takes any address, so an account's address is a stranger's until its owner proves it by
 * a link mailed there: until then nothing is mailed on the account's behalf (issue: previews
 * "to me" reached whoever's address an attacker signed up with). Through the router and a real
 * SMTP server.
 */
const PASSWORD = "correct horse battery staple";
const PHISHING = "URGENT: verify your bank account at http://evil.example/login";

let db: Db;
let smtp: Inbox;
let signups = 0;

beforeAll(async () => {
  smtp = await startSmtp();
  process.env.SMTP_URL = smtp.url;
  process.env.MAIL_FROM = "Glimpse digests <digests@glimpse.test>";
  db = await freshDb();
});

afterAll(async () => {
  delete process.env.SMTP_URL;
  delete process.env.MAIL_FROM;
  await smtp.close();
});

beforeEach(() => {
  smtp.received.length = 0;
});

/** A new account made by the open sign-up (with a victim's address, say), its site and a link named like bait. */
async function signUp(label: string) {
  const n = ++signups;
  const email = `${label}-${n}@victim.test`;
  const ip = `198.51.100.${n}`;
  const { token } = await sessionOf(createCaller(testContext({ db, ip })).auth.signup({ email, password: PASSWORD }) as never);
  const me = createCaller(testContext({ db, ip, sessionToken: token }));
  const domain = `${label}-${n}.example`;
  await me.sites.create({ domain, timezone: "UTC" });
  const link = await me.sharedLinks.create({ site: domain, name: PHISHING });
  return { email, ip, me, ref: { site: domain, id: link.id }, token };
}

const tokenOf = (text: string | undefined) => /\/confirm-email\/([A-Za-z0-9_.-]+)\s/.exec(text ?? "")![1]!;

describe("an account's own address", () => {
  it("gets no mail on the account's behalf until it is confirmed: no preview to it, no confirmation to recipients, no invitation", async () => {
    const { me, ref, email } = await signUp("spoof");
    expect(await me.auth.email.status()).toEqual({ email, confirmed: false, mailEnabled: true });
    expect((await expectCode(me.sharedLinks.sendDigestPreviewToMe(ref), "CONFLICT")).message).toBe(UNCONFIRMED_SENDER);
    expect((await expectCode(me.sharedLinks.addDigestRecipient({ ...ref, email: "stranger@inbox.test" }), "CONFLICT")).message).toBe(UNCONFIRMED_SENDER);
    // An invitation names the inviter too.
    expect((await expectCode(me.invitations.create({ site: ref.site, email: "colleague@inbox.test", role: "viewer" }), "CONFLICT")).message).toBe(UNCONFIRMED_SENDER);
    await new Promise((r) => setTimeout(r, 100));
    expect(smtp.take()).toEqual([]);
    expect(await db.selectFrom("digest_recipients").select("id").execute()).toEqual([]);
    expect(await db.selectFrom("site_invitations").select("id").execute()).toEqual([]);
  });

  it("sends no preview from an unconfirmed admin even to recipients who confirmed (it carries the link's name)", async () => {
    const owner = await signedIn(db, "confirmed-owner");
    const domain = `shared-${++signups}.example`;
    await owner.caller.sites.create({ domain, timezone: "UTC" });
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Board" });
    const ref = { site: domain, id: link.id };
    const { id: recipientId } = await owner.caller.sharedLinks.addDigestRecipient({ ...ref, email: "reader@inbox.test" });
    await createCaller(testContext({ db, ip: "203.0.113.12" })).digests.confirm({ token: confirmTokenOf(smtp.take()[0]!) });
    const { me } = await signUp("co-admin");
    // An unconfirmed admin (added before mail was on: now the API invites such accounts instead).
    const { id: siteId } = await owner.caller.sites.get({ site: domain });
    const { id: meId } = (await me.auth.me())!;
    await db.insertInto("site_memberships").values({ site_id: siteId, user_id: meId, role: "admin" }).execute();
    await me.sharedLinks.update({ ...ref, name: PHISHING });
    expect((await expectCode(me.sharedLinks.sendDigestPreview({ ...ref, recipientId }), "CONFLICT")).message).toBe(UNCONFIRMED_SENDER);
    await new Promise((r) => setTimeout(r, 100));
    expect(smtp.take()).toEqual([]);
  });

  it("is confirmed by a mailed link that carries nothing anyone typed, with a button; then mail goes out", async () => {
    const { me, ref, email } = await signUp("owner");
    expect(await me.auth.email.sendConfirmation()).toEqual({ email });
    const [mail] = smtp.take();
    expect(recipientsOf(mail!)).toEqual([email]);
    expect(mail!.subject).toBe(CONFIRM_EMAIL_SUBJECT);
    expect(`${mail!.text}${mail!.html}`).not.toMatch(/evil|URGENT|\.example\b/);
    const token = tokenOf(mail!.text);
    const anyone = createCaller(testContext({ db, ip: "203.0.113.9" }));
    // Opening the page changes nothing; the button does.
    expect(await anyone.auth.email.target({ token })).toEqual({ email, confirmed: false });
    expect((await me.auth.email.status()).confirmed).toBe(false);
    // Only the account itself confirms: not whoever has the link, nor another account.
    await expectCode(anyone.auth.email.confirm({ token }), "UNAUTHORIZED");
    const { me: other } = await signUp("bystander");
    expect((await expectCode(other.auth.email.confirm({ token }), "FORBIDDEN")).message).toBe(CONFIRM_OTHER_ACCOUNT);
    expect((await me.auth.email.status()).confirmed).toBe(false);
    expect(await me.auth.email.confirm({ token })).toEqual({ email });
    expect(await anyone.auth.email.target({ token })).toEqual({ email, confirmed: true });
    expect((await me.auth.email.status()).confirmed).toBe(true);
    await expectCode(me.auth.email.sendConfirmation(), "CONFLICT");
    await me.sharedLinks.sendDigestPreviewToMe(ref);
    await me.sharedLinks.addDigestRecipient({ ...ref, email: "board@inbox.test" });
    expect(smtp.take().map((m) => recipientsOf(m))).toEqual([[email], ["board@inbox.test"]]);
  });

  it("refuses forged, altered and expired links", async () => {
    const { me, ip, token: session } = await signUp("forger");
    await me.auth.email.sendConfirmation();
    const token = tokenOf(smtp.take()[0]!.text);
    const [body, mac] = token.split(".");
    const other = JSON.parse(Buffer.from(body!, "base64url").toString("utf8")) as [string, string, number];
    const forged = `${Buffer.from(JSON.stringify([other[0], "someone@else.test", other[2]])).toString("base64url")}.${mac}`;
    const anyone = createCaller(testContext({ db, ip: "203.0.113.10" }));
    for (const bad of [forged, `${body}.${mac!.slice(1)}A`, `${token}=`, "x", `${token}.x`]) {
      expect(await anyone.auth.email.target({ token: bad })).toBeNull();
      expect((await expectCode(me.auth.email.confirm({ token: bad }), "BAD_REQUEST")).message).toBe(CONFIRM_LINK_DEAD);
    }
    const tomorrow = createCaller(testContext({ db, ip: "203.0.113.10", now: new Date(Date.now() + 25 * 3_600_000) }));
    expect(await tomorrow.auth.email.target({ token })).toBeNull();
    const meTomorrow = createCaller(testContext({ db, ip, sessionToken: session, now: new Date(Date.now() + 25 * 3_600_000) }));
    expect((await expectCode(meTomorrow.auth.email.confirm({ token }), "BAD_REQUEST")).message).toBe(CONFIRM_LINK_DEAD);
    expect((await me.auth.email.status()).confirmed).toBe(false);
  });

  it("keeps an unconfirmed account from joining a site at once through the API: it is invited instead", async () => {
    const { email } = await signUp("newcomer");
    const owner = await signedIn(db, "adder");
    const domain = `adder-${Date.now()}.example`;
    await owner.caller.sites.create({ domain, timezone: "UTC" });
    const refused = await expectCode(owner.caller.sites.members.add({ site: domain, email, role: "admin" }), "CONFLICT");
    expect(refused.message).toMatch(/has not confirmed that address yet: invite them instead/);
    expect((await owner.caller.sites.members.list({ site: domain })).map((m) => m.email)).toEqual([owner.user.email]);
  });

  it("sends a few links a day per account, whatever it tries", async () => {
    const { me } = await signUp("pest");
    for (let i = 0; i < 3; i++) await me.auth.email.sendConfirmation();
    await expectCode(me.auth.email.sendConfirmation(), "TOO_MANY_REQUESTS");
    expect(smtp.take()).toHaveLength(3);
  });

  it("is confirmed by a password reset by mail too: the link reached that address", async () => {
    const { email, token, ip } = await signUp("resetter");
    const anyone = createCaller(testContext({ db, ip: "203.0.113.11", pauses: false }));
    await anyone.auth.requestPasswordReset({ email });
    for (let i = 0; i < 50 && smtp.received.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const reset = /\/reset-password\/([A-Za-z0-9_-]{43})\b/.exec(smtp.take()[0]!.text ?? "")![1]!;
    await anyone.auth.resetPassword({ token: reset, password: "another long password 1" });
    const user = await db.selectFrom("users").select("email_confirmed_at").where("email", "=", email).executeTakeFirstOrThrow();
    expect(user.email_confirmed_at).not.toBeNull();
    // And, as every reset does, it ended the account's sessions.
    await expectCode(createCaller(testContext({ db, ip, sessionToken: token })).auth.email.status(), "UNAUTHORIZED");
  });
});
