import type { ParsedMail } from "mailparser";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { addDays, zonedTime } from "../dates.js";
import { createSite } from "../sites/sites.js";
import { anonymous, expectCode, member, signedIn } from "../../test/support/actors.js";
import { anotherInstance, freshDb } from "../../test/support/db.js";
import { confirmTokenOf, headerOf, type Inbox, recipientsOf, startSmtp } from "../../test/support/smtp.js";
import { CONFIRMATION_SUBJECT } from "./confirmation-email.js";
import { LEASE_MS, MAX_ATTEMPTS, runDigests } from "./job.js";
import { type Mailer, smtpMailer } from "./mailer.js";
import { nextPeriod } from "./periods.js";
import { PREVIEWS_PER_HOUR } from "../schemas/digests.js";
import { flushEvents, servicesFor, testContext } from "../../test/support/services.js";

// The caps on mail per account and network have their own tests (mail-caps.test.ts); these
// tests send more than those allow in an hour.
process.env.DIGEST_MAILS_PER_ACCOUNT_HOUR = "10000";
process.env.DIGEST_MAILS_PER_ACCOUNT_DAY = "10000";
process.env.DIGEST_MAILS_PER_NETWORK_HOUR = "10000";
process.env.DIGEST_MAILS_PER_NETWORK_DAY = "10000";

/**
 * Digests against a real SMTP server in this process: what it received is parsed like a mail
 * client would, so the tests read the delivered message, not what we meant to send.
 */
let smtp: Inbox;

const TZ = "Europe/Berlin";
const PASSWORD = "Digest password 98765";
const UA = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";

let db: Db;
let mailer: Mailer;
let owner: Awaited<ReturnType<typeof signedIn>>;
let domain: string;
/** The week the digests cover: the next one to end, so the tests run the clock forward into it. */
let week: ReturnType<typeof nextPeriod>;
/** Just after the week's digest is due. */
let due: Date;

const at = (day: string, hour: number) => zonedTime(day, TZ, hour * 3600);

async function visit(day: string, hour: number, pages: string[], ip: string, country = "DE") {
  for (const [i, page] of pages.entries()) {
    const now = new Date(at(day, hour).getTime() + i * 60_000);
    const caller = createCaller(testContext({ db, ip, userAgent: UA, country, now }));
    await caller.events.ingest({ name: "pageview", url: `https://${domain}${page}`, domain, referrer: null });
  }
  await flushEvents(db);
}

const run = (owner: string, now: Date, on: Db = db, transport: Mailer = mailer) => runDigests(servicesFor(on), transport, { now, owner, host: "glimpse.test" });
const to = recipientsOf;
const take = () => smtp.take();
const header = headerOf;

/** Recipients confirm from the email they got: every confirmation received so far is taken from the inbox and confirmed. */
async function confirmFromInbox() {
  const confirmations = smtp.received.filter((m) => m.subject === CONFIRMATION_SUBJECT);
  smtp.received = smtp.received.filter((m) => m.subject !== CONFIRMATION_SUBJECT);
  for (const mail of confirmations) await anonymous(db, "203.0.113.9").digests.confirm({ token: confirmTokenOf(mail) });
  return confirmations.flatMap(to);
}

beforeAll(async () => {
  smtp = await startSmtp();
  const url = smtp.url;
  process.env.SMTP_URL = url;
  process.env.MAIL_FROM = "Glimpse digests <digests@glimpse.test>";
  mailer = smtpMailer(url, process.env.MAIL_FROM);
  db = await freshDb();
  owner = await signedIn(db, "owner");
  domain = (await createSite(db, owner.user.id, { domain: "digest.example", timezone: TZ })).site.domain;
  week = nextPeriod("weekly", TZ, new Date());
  due = new Date(week.endsAt.getTime() + 15 * 60_000);
  // The week: 3 visitors (one of them from France, on two pages); the week before: 2.
  await visit(addDays(week.from, 1), 10, ["/", "/pricing"], "198.51.100.1");
  await visit(addDays(week.from, 3), 11, ["/blog/<script>alert(1)</script>"], "198.51.100.2");
  await visit(addDays(week.from, 6), 23, ["/pricing"], "198.51.100.3", "FR");
  await visit(addDays(week.from, -4), 9, ["/"], "198.51.100.4");
  await visit(addDays(week.from, -3), 9, ["/"], "198.51.100.5");
  // Outside both weeks, in the site's time zone: Monday 00:30 Berlin is still Sunday in UTC.
  await visit(addDays(week.from, 7), 0, ["/late"], "198.51.100.6");
});

const before = { SMTP_URL: process.env.SMTP_URL, MAIL_FROM: process.env.MAIL_FROM };
afterAll(async () => {
  for (const [key, value] of Object.entries(before)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  mailer.close();
  await smtp.close();
});

beforeEach(() => {
  smtp.received.length = 0;
  smtp.refuse = null;
});

// Each test's links alone are scheduled: the runner sends every link's digests.
afterEach(async () => {
  await db.deleteFrom("link_digests").execute();
});

type LinkInput = Parameters<typeof owner.caller.sharedLinks.create>[0];
let linkCount = 0;
async function digestLink(recipients: string[], extra: Omit<LinkInput, "site" | "name"> = {}, name = `Board update ${++linkCount}`) {
  const link = await owner.caller.sharedLinks.create({ site: domain, name, ...extra });
  await owner.caller.sharedLinks.setDigestSchedule({ site: domain, id: link.id, frequency: "weekly" });
  for (const email of recipients) await owner.caller.sharedLinks.addDigestRecipient({ site: domain, id: link.id, email, name: email.startsWith("alice") ? "Alice Example" : "" });
  expect((await confirmFromInbox()).sort()).toEqual([...recipients].sort());
  return link;
}

describe("digest schedule", () => {
  it("sends exactly one digest per recipient per period across two instances and restarts", async () => {
    const link = await digestLink(["alice@board.test", "bob@board.test"], { password: PASSWORD });
    // Before the week has ended and settled: nothing is due.
    expect((await run("a", new Date(week.endsAt.getTime() - 60_000))).sent).toBe(0);
    expect((await run("a", new Date(week.endsAt.getTime() + 60_000))).sent).toBe(0);
    const other = anotherInstance(db) ?? db;
    const results = await Promise.all([run("a", due), run("b", due, other), run("c", due)]);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(2);
    const mails = take();
    expect(mails.flatMap(to).sort()).toEqual(["alice@board.test", "bob@board.test"]);
    // Restarted instances (new owners), hours later: the period is done.
    await Promise.all([run("a2", new Date(due.getTime() + 3_600_000)), run("b2", new Date(due.getTime() + 7_200_000), other)]);
    expect(take()).toEqual([]);
    // The next week: one more each.
    const nextDue = new Date(due.getTime() + 7 * 86_400_000);
    await Promise.all([run("a3", nextDue), run("b3", nextDue, other)]);
    expect(take().flatMap(to).sort()).toEqual(["alice@board.test", "bob@board.test"]);

    const mail = mails.find((m) => to(m).includes("alice@board.test"))!;
    expect(mail.subject).toBe(`Weekly digest: Board update 1 (${domain}), ${rangeLabel(week.from, week.to)}`);
    expect(mail.from?.text).toContain("digests@glimpse.test");
    expect((mail.to as { text: string }).text).toContain("Alice Example");
    expect(mail.text).toMatch(/Unique visitors\s+3\s+\(up 50% from the week before\)/);
    expect(mail.text).toMatch(/Total pageviews\s+4\s/);
    expect(mail.text).toContain("/pricing · 2 visitors (66.7%)");
    expect(mail.text).toContain("France · 1 visitor (33.3%)");
    expect(mail.text).not.toContain("/late");
    expect(mail.text).toContain(`${link.url}?period=custom&from=${week.from}&to=${week.to}`);
    expect(mail.text).toContain("asks for the password you were given");
    for (const body of [mail.text ?? "", String(mail.html)]) expect(body).not.toContain(PASSWORD);
    // Values are escaped in the HTML part; the text part shows them as they are.
    expect(String(mail.html)).not.toContain("<script>");
    expect(String(mail.html)).toContain("&#60;script&#62;");
    expect(header(mail, "list-unsubscribe-post")).toBe("List-Unsubscribe=One-Click");
    expect(header(mail, "list-unsubscribe")).toMatch(/^<http:\/\/.+\/unsubscribe\/[A-Za-z0-9_-]{32}>$/);
    expect(mail.messageId).toMatch(/^<digest\..+@glimpse\.test>$/);
  });

  it("catches up a digest missed while no instance ran, once, and after a crash mid-send", async () => {
    await digestLink(["carol@board.test"]);
    // Every instance was down from before the period's end until three days later.
    const late = new Date(due.getTime() + 3 * 86_400_000);
    // The first instance up claims the digest and dies before the mail server answers.
    const hanging: Mailer = { send: () => new Promise(() => {}), close: () => {} };
    void run("crashed", late, db, hanging);
    await waitFor(async () => (await db.selectFrom("digest_sends").select("lease_owner").where("lease_owner", "=", "crashed").execute()).length === 1);
    // While its lease lasts, nobody sends it again; after it, a restarted instance does, once.
    expect((await run("d", new Date(late.getTime() + 60_000))).sent).toBe(0);
    const afterLease = new Date(late.getTime() + LEASE_MS + 1000);
    const results = await Promise.all([run("d", afterLease), run("e", afterLease, anotherInstance(db) ?? db)]);
    expect(results.reduce((n, r) => n + r.sent, 0)).toBe(1);
    expect(take().flatMap(to)).toEqual(["carol@board.test"]);
    expect((await run("f", new Date(afterLease.getTime() + 86_400_000))).sent).toBe(0);
  });

  it("holds one digest at a time: a slow send does not hold back the others, and none goes out twice", async () => {
    const emails = Array.from({ length: 12 }, (_, i) => `slow${i}@board.test`);
    await digestLink(emails);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const slow: Mailer = {
      send: async (message) => {
        started += 1;
        if (started === 1) await gate;
        await mailer.send(message);
      },
      close: () => {},
    };
    const first = run("slow", due, db, slow);
    await waitFor(async () => started === 1);
    // Another instance, minutes later, while the first is stuck on its first mail.
    const other = await run("quick", new Date(due.getTime() + 5 * 60_000), anotherInstance(db) ?? db);
    release();
    const stuck = await first;
    expect(other.sent + stuck.sent).toBe(12);
    expect(stuck.sent).toBe(1);
    expect(take().flatMap(to).sort()).toEqual([...emails].sort());
  });

  it("drops a planned digest when the schedule changes before it goes out", async () => {
    const link = await digestLink(["switch@board.test"]);
    const refusing: Mailer = { send: async () => Promise.reject(new Error("later")), close: () => {} };
    expect((await run("l", due, db, refusing)).retrying).toBe(1);
    await owner.caller.sharedLinks.setDigestSchedule({ site: domain, id: link.id, frequency: "monthly" });
    expect(await run("l", new Date(due.getTime() + 10 * 60_000))).toMatchObject({ sent: 0, skipped: 1 });
    expect(take()).toEqual([]);
  });

  it("retries when the mail server refuses, then gives up, and never sends twice", async () => {
    const link = await digestLink(["dave@board.test"]);
    smtp.refuse = "Mailbox busy, try later";
    let now = due;
    const first = await run("g", now);
    expect(first).toMatchObject({ sent: 0, retrying: 1 });
    // Backing off: not tried again a minute later.
    expect((await run("g", new Date(now.getTime() + 60_000))).retrying).toBe(0);
    smtp.refuse = null;
    now = new Date(now.getTime() + 3 * 60_000);
    expect((await run("g", now)).sent).toBe(1);
    expect(take().flatMap(to)).toEqual(["dave@board.test"]);

    // A recipient whose server keeps refusing is given up after MAX_ATTEMPTS, with the reason kept.
    const { id } = await owner.caller.sharedLinks.addDigestRecipient({ site: domain, id: link.id, email: "erin@board.test" });
    expect(await confirmFromInbox()).toEqual(["erin@board.test"]);
    // Added after the period ended: the next period is the first one for them.
    const nextDue = new Date(due.getTime() + 7 * 86_400_000);
    smtp.refuse = "Mailbox full";
    let t = nextDue;
    for (let i = 0; i < MAX_ATTEMPTS + 2; i++) {
      await run("h", t);
      t = new Date(t.getTime() + 40 * 60_000);
    }
    const row = await db.selectFrom("digest_sends").selectAll().where("recipient_id", "=", id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    expect(row.last_error).toContain("Mailbox full");
    expect(smtp.received).toEqual([]);
  });

  it("follows the link: no digest while paused, expired, deleted or turned off; the segment and sections apply", async () => {
    const paused = await digestLink(["paused@board.test"], { paused: true }, "Paused link");
    const off = await digestLink(["off@board.test"], {}, "Turned off");
    await owner.caller.sharedLinks.setDigestSchedule({ site: domain, id: off.id, frequency: null });
    const gone = await digestLink(["gone@board.test"], {}, "Deleted");
    await owner.caller.sharedLinks.delete({ site: domain, id: gone.id });
    const segment = await owner.caller.segments.create({ site: domain, name: "From France", filters: [{ dimension: "country", operator: "is", values: ["FR"] }] });
    await digestLink(["scoped@board.test"], { segmentId: segment.id, visibleSections: ["page"] }, "France, pages only");
    await run("i", due);
    const mails = take();
    expect(mails.flatMap(to)).toEqual(["scoped@board.test"]);
    const [mail] = mails;
    expect(mail!.text).toContain("Visits in the segment “From France” only.");
    expect(mail!.text).toMatch(/Unique visitors\s+1\s/);
    expect(mail!.text).toContain("Top pages");
    expect(mail!.text).not.toMatch(/Countries|Sources|Browsers/);
    expect(mail!.text).not.toContain("/blog");
    // Resumed before the next period ends: it is sent again.
    await owner.caller.sharedLinks.update({ site: domain, id: paused.id, paused: false });
    await run("i", new Date(due.getTime() + 7 * 86_400_000));
    expect(take().flatMap(to).sort()).toEqual(["paused@board.test", "scoped@board.test"]);
  });

  it("cuts the period to the link's dates and leaves out the comparison then", async () => {
    await digestLink(["bounded@board.test"], { dateBounds: { kind: "since", from: addDays(week.from, 2) } }, "Since midweek");
    await run("j", due);
    const [mail] = take();
    expect(mail!.text).toContain("Only the part of this period within the dates the link shows is counted.");
    expect(mail!.text).toMatch(/Unique visitors\s+2\n/);
    expect(mail!.text).not.toContain("from the week before");
  });
});

describe("unsubscribe", () => {
  it("one click with the token from the email stops that recipient's digests; undo works; nothing else is reachable", async () => {
    const link = await digestLink(["frank@board.test", "grace@board.test"], {}, "Unsubscribe test");
    await run("k", due);
    const mail = take().find((m) => to(m).includes("frank@board.test"))!;
    const url = new URL(/<(.+)>/.exec(header(mail, "list-unsubscribe") ?? "")![1]!);
    expect(mail.text).toContain(url.href);
    const token = url.pathname.split("/").pop()!;
    const stranger = anonymous(db, "203.0.113.50");
    expect(await stranger.digests.unsubscribe({ token })).toEqual({ email: "frank@board.test", linkName: "Unsubscribe test", domain, subscribed: false });
    // Twice is the same as once.
    expect((await stranger.digests.unsubscribe({ token })).subscribed).toBe(false);
    await expectCode(stranger.digests.unsubscribe({ token: "x".repeat(32) }), "NOT_FOUND");
    await expectCode(stranger.digests.unsubscribe({ token: "../../etc" }), "BAD_REQUEST");
    const nextDue = new Date(due.getTime() + 7 * 86_400_000);
    await run("k", nextDue);
    expect(take().flatMap(to)).toEqual(["grace@board.test"]);
    // The admin sees it, and cannot override the recipient's choice by adding them again.
    const settings = await owner.caller.sharedLinks.digest({ site: domain, id: link.id });
    expect(settings.recipients.find((r) => r.email === "frank@board.test")!.unsubscribedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    await expectCode(owner.caller.sharedLinks.addDigestRecipient({ site: domain, id: link.id, email: "FRANK@board.test" }), "CONFLICT");
    expect((await stranger.digests.resubscribe({ token })).subscribed).toBe(true);
    await run("k", new Date(nextDue.getTime() + 7 * 86_400_000));
    expect(take().flatMap(to).sort()).toEqual(["frank@board.test", "grace@board.test"]);

    // Removing someone who unsubscribed does not let anyone add them back either.
    await stranger.digests.unsubscribe({ token });
    const frank = (await owner.caller.sharedLinks.digest({ site: domain, id: link.id })).recipients.find((r) => r.email === "frank@board.test")!;
    await owner.caller.sharedLinks.removeDigestRecipient({ site: domain, id: link.id, recipientId: frank.id });
    await expectCode(owner.caller.sharedLinks.addDigestRecipient({ site: domain, id: link.id, email: " Frank@Board.test" }), "CONFLICT");
    await expectCode(stranger.digests.resubscribe({ token }), "NOT_FOUND");
    // A recipient removed while still subscribed can be added again, with a new confirmation, once
    // the last one to that address for this link is an hour old (no removing and adding to mail someone again and again).
    const grace = (await owner.caller.sharedLinks.digest({ site: domain, id: link.id })).recipients.find((r) => r.email === "grace@board.test")!;
    await owner.caller.sharedLinks.removeDigestRecipient({ site: domain, id: link.id, recipientId: grace.id });
    const later = createCaller(testContext({ db, sessionToken: owner.token, now: new Date(Date.now() + 61 * 60_000) }));
    await later.sharedLinks.addDigestRecipient({ site: domain, id: link.id, email: "grace@board.test" });
  });
});

describe("digest settings", () => {
  it("keeps recipients unique, bounded and per link; admins only; previews go out at once", async () => {
    const link = await owner.caller.sharedLinks.create({ site: domain, name: "Settings" });
    const ref = { site: domain, id: link.id };
    expect(await owner.caller.sharedLinks.digest(ref)).toMatchObject({ mailEnabled: true, frequency: null, next: null, recipients: [] });
    const added = await owner.caller.sharedLinks.addDigestRecipient({ ...ref, email: " Ann@Board.test ", name: "Ann" });
    await expectCode(owner.caller.sharedLinks.addDigestRecipient({ ...ref, email: "ann@board.TEST" }), "CONFLICT");
    await expectCode(owner.caller.sharedLinks.addDigestRecipient({ ...ref, email: "not an email" }), "BAD_REQUEST");
    await owner.caller.sharedLinks.setDigestSchedule({ ...ref, frequency: "monthly" });
    const settings = await owner.caller.sharedLinks.digest(ref);
    expect(settings.frequency).toBe("monthly");
    // Nobody has confirmed: no digest is planned yet.
    expect(settings.next).toBeNull();
    expect(settings.recipients).toMatchObject([{ email: "Ann@Board.test", name: "Ann", state: "waiting", confirmedAt: null, unsubscribedAt: null, lastSentAt: null }]);

    const viewer = await member(db, link.siteId, "viewer");
    await expectCode(viewer.caller.sharedLinks.digest(ref), "FORBIDDEN");
    await expectCode(viewer.caller.sharedLinks.addDigestRecipient({ ...ref, email: "x@board.test" }), "FORBIDDEN");
    const stranger = await signedIn(db, "stranger");
    await expectCode(stranger.caller.sharedLinks.digest(ref), "NOT_FOUND");
    const strangersSite = (await createSite(db, stranger.user.id, { domain: "other-digest.example", timezone: "UTC" })).site.domain;
    await expectCode(stranger.caller.sharedLinks.removeDigestRecipient({ site: strangersSite, id: link.id, recipientId: added.id }), "NOT_FOUND");

    // Previews go only to recipients who confirmed.
    await expectCode(owner.caller.sharedLinks.sendDigestPreview({ ...ref, recipientId: added.id }), "CONFLICT");
    expect((await confirmFromInbox()).map((a) => a.toLowerCase())).toEqual(["ann@board.test"]);
    expect(take()).toEqual([]);
    const confirmed = await owner.caller.sharedLinks.digest(ref);
    expect(confirmed.recipients).toMatchObject([{ state: "confirmed", confirmedAt: expect.stringMatching(/^\d{4}-/) }]);
    expect(confirmed.next!.from.endsWith("-01")).toBe(true);
    await owner.caller.sharedLinks.sendDigestPreview({ ...ref, recipientId: added.id });
    const [preview] = take();
    expect(preview!.subject).toMatch(/^\[Preview\] Monthly digest: Settings/);
    expect(preview!.text).toContain("This is a preview");

    // Previews are mail on demand: a few an hour per site.
    for (let i = 1; i < PREVIEWS_PER_HOUR; i++) await owner.caller.sharedLinks.sendDigestPreview({ ...ref, recipientId: added.id });
    await expectCode(owner.caller.sharedLinks.sendDigestPreview({ ...ref, recipientId: added.id }), "TOO_MANY_REQUESTS");
    expect(take()).toHaveLength(PREVIEWS_PER_HOUR - 1);

    await owner.caller.sharedLinks.addDigestRecipient({ ...ref, email: "bea@board.test" });
    await owner.caller.sharedLinks.removeDigestRecipient({ ...ref, recipientId: added.id });
    await expectCode(owner.caller.sharedLinks.removeDigestRecipient({ ...ref, recipientId: added.id }), "NOT_FOUND");
    expect((await owner.caller.sharedLinks.digest(ref)).recipients).toMatchObject([{ email: "bea@board.test", state: "waiting" }]);
  });
});

function rangeLabel(from: string, to: string): string {
  const month = (d: string) => ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][Number(d.slice(5, 7)) - 1];
  const day = (d: string) => Number(d.slice(8));
  return from.slice(0, 4) === to.slice(0, 4)
    ? `${month(from)} ${day(from)} – ${month(to)} ${day(to)}, ${to.slice(0, 4)}`
    : `${month(from)} ${day(from)}, ${from.slice(0, 4)} – ${month(to)} ${day(to)}, ${to.slice(0, 4)}`;
}

async function waitFor(check: () => Promise<boolean>) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error("timed out waiting");
}
