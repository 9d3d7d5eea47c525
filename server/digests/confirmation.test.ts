import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { CONFIRM_DAYS, RESEND_AFTER_MINUTES } from "../schemas/digests.js";
import { createSite } from "../sites/sites.js";
import { expectCode, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { confirmTokenOf, headerOf, type Inbox, recipientsOf, startSmtp } from "../../test/support/smtp.js";
import { CONFIRMATION_SUBJECT } from "./confirmation-email.js";
import { runDigests } from "./job.js";
import { type Mailer, smtpMailer } from "./mailer.js";
import { nextPeriod } from "./periods.js";
import { servicesFor, testContext } from "../../test/support/services.js";

/**
 * Double opt-in (SPEC §11): a new recipient gets one email that asks them to confirm, and nothing
 * else (no digest, no preview) until they do, through the router and a real SMTP server.
 */
const PHISHING = "URGENT: password expires - verify at http://evil.example/login";
const TZ = "Europe/Berlin";

let smtp: Inbox;
let mailer: Mailer;
let db: Db;
let owner: Awaited<ReturnType<typeof signedIn>>;
let domain: string;
let due: Date;

/** The owner's caller at a given time (the router reads `now` from a test's context). */
const ownerAt = (now: Date) => createCaller(testContext({ db, sessionToken: owner.token, ip: "192.0.2.10", now }));
/** Whoever opens the link in the email: no account, any address. */
const recipientAt = (now = new Date()) => createCaller(testContext({ db, ip: "203.0.113.77", now }));
const run = (now: Date) => runDigests(servicesFor(db), mailer, { now, owner: "test", host: "glimpse.test" });

beforeAll(async () => {
  smtp = await startSmtp();
  process.env.SMTP_URL = smtp.url;
  process.env.MAIL_FROM = "Glimpse digests <digests@glimpse.test>";
  mailer = smtpMailer(smtp.url, process.env.MAIL_FROM);
  db = await freshDb();
  owner = await signedIn(db, "owner");
  domain = (await createSite(db, owner.user.id, { domain: "confirm.example", timezone: TZ })).site.domain;
  due = new Date(nextPeriod("weekly", TZ, new Date()).endsAt.getTime() + 15 * 60_000);
});

afterAll(async () => {
  delete process.env.SMTP_URL;
  delete process.env.MAIL_FROM;
  mailer.close();
  await smtp.close();
});

beforeEach(() => {
  smtp.received.length = 0;
});

let links = 0;
async function weeklyLink(name = `Board ${++links}`) {
  const link = await owner.caller.sharedLinks.create({ site: domain, name });
  await owner.caller.sharedLinks.setDigestSchedule({ site: domain, id: link.id, frequency: "weekly" });
  return { site: domain, id: link.id };
}

describe("double opt-in", () => {
  it("adding a recipient sends one email that only asks them to confirm, names who asks, and carries none of the admin's text", async () => {
    const ref = await weeklyLink(PHISHING);
    const added = await owner.caller.sharedLinks.addDigestRecipient({ ...ref, email: "stranger@inbox.test", name: "Click http://evil.example now" });
    expect(added).toMatchObject({ email: "stranger@inbox.test", state: "waiting", confirmationSent: true });
    const mails = smtp.take();
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(recipientsOf(mail!)).toEqual(["stranger@inbox.test"]);
    // Only the address: the name the admin typed is not shown to someone who agreed to nothing.
    expect(mail!.to).toMatchObject({ value: [{ name: "", address: "stranger@inbox.test" }] });
    expect(mail!.subject).toBe(CONFIRMATION_SUBJECT);
    expect(mail!.text).toContain(`${owner.user.email} added stranger@inbox.test to an email digest of the website analytics of ${domain}`);
    for (const part of [mail!.subject ?? "", mail!.text ?? "", String(mail!.html), JSON.stringify(mail!.headers)]) {
      expect(part).not.toContain("evil.example");
      expect(part).not.toMatch(/URGENT|password expires/);
    }
    // Every link in it is ours; the admin's address and the domain are not links.
    const hrefs = [...String(mail!.html).matchAll(/href="([^"]+)"/g)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href).toMatch(/^http:\/\/localhost:\d+\/subscribe\/[A-Za-z0-9_-]{32}(\?choice=decline)?$/);
    expect(String(mail!.html)).toContain(`<strong>confirm.&#8203;example</strong>`);
    expect(headerOf(mail!, "list-unsubscribe")).toMatch(/^<http:\/\/localhost:\d+\/subscribe\/[A-Za-z0-9_-]{32}>$/);
    // No figures, no dashboard.
    expect(mail!.text).not.toMatch(/Unique visitors|\/share\//);
    const settings = await owner.caller.sharedLinks.digest(ref);
    expect(settings.recipients).toMatchObject([{ email: "stranger@inbox.test", state: "waiting", confirmedAt: null, confirmationSentAt: expect.any(String) }]);
  });

  it("sends no digest and no preview to a recipient who has not confirmed; after they confirm, digests go out", async () => {
    const ref = await weeklyLink();
    const { id } = await owner.caller.sharedLinks.addDigestRecipient({ ...ref, email: "later@inbox.test" });
    const token = confirmTokenOf(smtp.take()[0]!);
    expect(await run(due)).toMatchObject({ sent: 0 });
    const refused = await expectCode(owner.caller.sharedLinks.sendDigestPreview({ ...ref, recipientId: id }), "CONFLICT");
    expect(refused.message).toBe(
      "later@inbox.test has not confirmed yet, so nothing is sent to them. Previews go only to recipients who confirmed, or to you (Send preview to me).",
    );
    // Opening the link (a mail scanner does) changes nothing.
    expect(await recipientAt().digests.confirmation({ token })).toMatchObject({ email: "later@inbox.test", domain, addedBy: owner.user.email, state: "waiting", expired: false });
    expect(await run(due)).toMatchObject({ sent: 0 });
    expect(smtp.take()).toEqual([]);

    // The admin can always preview to their own account's address.
    const mine = await owner.caller.sharedLinks.sendDigestPreviewToMe(ref);
    expect(mine.email).toBe(owner.user.email);
    const [preview] = smtp.take();
    expect(recipientsOf(preview!)).toEqual([owner.user.email]);
    expect(preview!.subject).toMatch(/^\[Preview\] Weekly digest: /);
    expect(headerOf(preview!, "list-unsubscribe")).toBeNull();
    expect(preview!.text).toContain("You get this preview because you asked for it");

    expect(await recipientAt().digests.confirm({ token })).toMatchObject({ state: "confirmed" });
    expect((await owner.caller.sharedLinks.digest(ref)).recipients).toMatchObject([{ state: "confirmed", confirmedAt: expect.any(String) }]);
    expect(await run(due)).toMatchObject({ sent: 1 });
    const [digest] = smtp.take();
    expect(recipientsOf(digest!)).toEqual(["later@inbox.test"]);
    expect(digest!.subject).toMatch(/^Weekly digest: /);
    await owner.caller.sharedLinks.sendDigestPreview({ ...ref, recipientId: id });
    expect(smtp.take().flatMap(recipientsOf)).toEqual(["later@inbox.test"]);
  });

  it("“don't send me anything” unsubscribes the address from the site's digests and keeps it from being added to them again", async () => {
    const first = await weeklyLink();
    const second = await weeklyLink();
    await owner.caller.sharedLinks.addDigestRecipient({ ...first, email: "no@inbox.test" });
    await recipientAt().digests.confirm({ token: confirmTokenOf(smtp.take()[0]!) });
    const waiting = await owner.caller.sharedLinks.addDigestRecipient({ ...second, email: "No@Inbox.test" });
    const token = confirmTokenOf(smtp.take()[0]!);
    expect(await recipientAt().digests.decline({ token })).toMatchObject({ state: "unsubscribed", declined: true });
    for (const ref of [first, second]) expect((await owner.caller.sharedLinks.digest(ref)).recipients).toMatchObject([{ state: "unsubscribed" }]);
    const third = await weeklyLink();
    const again = await expectCode(owner.caller.sharedLinks.addDigestRecipient({ ...third, email: "no@inbox.test" }), "CONFLICT");
    expect(again.message).toBe("no@inbox.test asked to get nothing from this site’s digests, so they cannot be added");
    await expectCode(owner.caller.sharedLinks.resendDigestConfirmation({ ...second, recipientId: waiting.id }), "CONFLICT");
    expect(await run(due)).toMatchObject({ sent: 0 });
    expect(smtp.take()).toEqual([]);
    // Another site is another sender: the address can be asked there (and decline there too).
    const other = (await createSite(db, owner.user.id, { domain: "another-confirm.example", timezone: "UTC" })).site.domain;
    const elsewhere = await owner.caller.sharedLinks.create({ site: other, name: "Elsewhere" });
    await owner.caller.sharedLinks.addDigestRecipient({ site: other, id: elsewhere.id, email: "no@inbox.test" });
    expect(smtp.take()).toHaveLength(1);
    // Changing their mind from the same email works while its link does.
    expect(await recipientAt().digests.confirm({ token })).toMatchObject({ state: "confirmed", declined: false });
    await owner.caller.sharedLinks.addDigestRecipient({ ...third, email: "no@inbox.test" });
  });

  it("confirmation links expire after a week; a new one goes out at most once an hour and replaces the old one", async () => {
    const ref = await weeklyLink();
    const start = new Date();
    const { id } = await ownerAt(start).sharedLinks.addDigestRecipient({ ...ref, email: "slow@inbox.test" });
    const first = confirmTokenOf(smtp.take()[0]!);
    const soon = new Date(start.getTime() + 5 * 60_000);
    const tooSoon = await expectCode(ownerAt(soon).sharedLinks.resendDigestConfirmation({ ...ref, recipientId: id }), "TOO_MANY_REQUESTS");
    expect(tooSoon.message).toBe(`A confirmation email went to slow@inbox.test less than ${RESEND_AFTER_MINUTES} minutes ago`);
    expect((await ownerAt(soon).sharedLinks.digest(ref)).recipients[0]!.canResendAt).toBe(new Date(start.getTime() + RESEND_AFTER_MINUTES * 60_000).toISOString());
    expect(smtp.take()).toEqual([]);

    const later = new Date(start.getTime() + (RESEND_AFTER_MINUTES + 1) * 60_000);
    await ownerAt(later).sharedLinks.resendDigestConfirmation({ ...ref, recipientId: id });
    const second = confirmTokenOf(smtp.take()[0]!);
    expect(second).not.toBe(first);
    await expectCode(recipientAt(later).digests.confirm({ token: first }), "NOT_FOUND");

    const expired = new Date(later.getTime() + CONFIRM_DAYS * 86_400_000 + 60_000);
    expect(await recipientAt(expired).digests.confirmation({ token: second })).toMatchObject({ state: "waiting", expired: true });
    const tooLate = await expectCode(recipientAt(expired).digests.confirm({ token: second }), "CONFLICT");
    expect(tooLate.message).toMatch(/^This confirmation link expired on .+\. Nothing is sent to you; .+ can send you a new one\.$/);
    expect((await ownerAt(expired).sharedLinks.digest(ref)).recipients).toMatchObject([{ state: "waiting" }]);
    // Saying no always works.
    expect(await recipientAt(expired).digests.decline({ token: second })).toMatchObject({ state: "unsubscribed" });
    await expectCode(recipientAt().digests.confirm({ token: "x".repeat(32) }), "NOT_FOUND");
    await expectCode(recipientAt().digests.confirm({ token: "../../etc" }), "BAD_REQUEST");
  });
});
