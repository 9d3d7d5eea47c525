import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Db } from "../../db/client.js";
import { createCaller } from "../root.js";
import { CONFIRMATIONS_PER_ADDRESS_DAY, RESEND_AFTER_MINUTES } from "../schemas/digests.js";
import { createSite } from "../sites/sites.js";
import { confirmTokenOf, type Inbox, recipientsOf, startSmtp } from "../../test/support/smtp.js";
import { expectCode, signedIn } from "../../test/support/actors.js";
import { freshDb } from "../../test/support/db.js";
import { testContext } from "../../test/support/services.js";

/**
 * The attack: a fresh sign-up spreads mail over many sites and links, each under its own
 * per-site limit. Mail sent on demand (confirmations and previews) is counted per account and per
 * client network too, whatever it is spread over. Low caps here, so the tests reach them.
 */
const ACCOUNT = { hour: 3, day: 5 };
const NETWORK = { hour: 4, day: 8 };
process.env.DIGEST_MAILS_PER_ACCOUNT_HOUR = String(ACCOUNT.hour);
process.env.DIGEST_MAILS_PER_ACCOUNT_DAY = String(ACCOUNT.day);
process.env.DIGEST_MAILS_PER_NETWORK_HOUR = String(NETWORK.hour);
process.env.DIGEST_MAILS_PER_NETWORK_DAY = String(NETWORK.day);

let smtp: Inbox;
let db: Db;
let sites = 0;

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
});

/** An account signed in from `ip` at a time the test chooses, with a site and a link of its own. */
async function account(ip: string) {
  const actor = await signedIn(db, "sender");
  const domain = (await createSite(db, actor.user.id, { domain: `caps-${++sites}.example`, timezone: "UTC" })).site.domain;
  const at = (now: Date) => createCaller(testContext({ db, sessionToken: actor.token, ip, now }));
  const link = await at(new Date()).sharedLinks.create({ site: domain, name: "Board" });
  let n = 0;
  return {
    actor,
    at,
    ref: { site: domain, id: link.id },
    /** Adds a new recipient at `now`. */
    add: (now: Date, email = `r${++n}-${sites}@inbox.test`) => at(now).sharedLinks.addDigestRecipient({ site: domain, id: link.id, email }),
    /** Another link on another site of the same account. */
    async elsewhere() {
      const other = (await createSite(db, actor.user.id, { domain: `caps-${++sites}.example`, timezone: "UTC" })).site.domain;
      const l = await at(new Date()).sharedLinks.create({ site: other, name: "Other" });
      return (now: Date, email: string) => at(now).sharedLinks.addDigestRecipient({ site: other, id: l.id, email });
    },
  };
}

const recipientCount = async () => Number((await db.selectFrom("digest_recipients").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow()).n);
const minutes = (from: Date, m: number) => new Date(from.getTime() + m * 60_000);

describe("mail sent on demand", () => {
  it("is capped per account an hour and a day, over all its sites, confirmations and previews together; a refusal adds nobody", async () => {
    const start = new Date();
    const a = await account("198.51.100.10");
    const other = await a.elsewhere();
    await a.add(start);
    await a.add(start);
    await other(start, "far@inbox.test");
    expect(smtp.take()).toHaveLength(ACCOUNT.hour);
    const before = await recipientCount();
    const hour = await expectCode(a.add(minutes(start, 1), "over@inbox.test"), "TOO_MANY_REQUESTS");
    expect(hour.message).toBe(`An account can send ${ACCOUNT.hour} digest emails (confirmations and previews) an hour`);
    await expectCode(a.at(minutes(start, 1)).sharedLinks.sendDigestPreviewToMe(a.ref), "TOO_MANY_REQUESTS");
    expect(await recipientCount()).toBe(before);
    expect(smtp.take()).toEqual([]);

    // An hour later: two more, then the day is spent (a preview counts as much as a confirmation).
    const later = minutes(start, 61);
    await a.add(later, "over@inbox.test");
    await a.at(later).sharedLinks.sendDigestPreviewToMe(a.ref);
    expect(smtp.take().flatMap(recipientsOf)).toEqual(["over@inbox.test", a.actor.user.email]);
    const day = await expectCode(a.add(minutes(start, 125)), "TOO_MANY_REQUESTS");
    expect(day.message).toBe(`An account can send ${ACCOUNT.day} digest emails (confirmations and previews) a day`);
    expect((day as unknown as { cause: { retryAfterSeconds: number } }).cause.retryAfterSeconds).toBeGreaterThan(20 * 3600);
    // The next day it may send again.
    await a.add(minutes(start, 24 * 60 + 1));
    expect(smtp.take()).toHaveLength(1);
  });

  it("is capped per client network, however many accounts sign up there; other networks are not held back", async () => {
    const start = new Date();
    const ip = "198.51.100.20";
    const [first, second, third] = [await account(ip), await account(ip), await account(ip)];
    for (let i = 0; i < ACCOUNT.hour; i++) await first.add(start);
    await second.add(start);
    expect(smtp.take()).toHaveLength(NETWORK.hour);
    const refused = await expectCode(second.add(start), "TOO_MANY_REQUESTS");
    expect(refused.message).toBe(`${NETWORK.hour} digest emails (confirmations and previews) an hour can be sent from one network`);
    await expectCode(third.add(start), "TOO_MANY_REQUESTS");
    // IPv6: one /64 is one network, however its addresses rotate.
    const v6 = [await account("2001:db8:1:2::10"), await account("2001:db8:1:2:ffff::99")];
    for (let i = 0; i < ACCOUNT.hour; i++) await v6[0]!.add(start);
    await v6[1]!.add(start);
    await expectCode(v6[1]!.add(start), "TOO_MANY_REQUESTS");
    const elsewhere = await account("198.51.100.21");
    await elsewhere.add(start);
    expect(smtp.take()).toHaveLength(NETWORK.hour + 1);
  });

  it(`sends one address at most ${CONFIRMATIONS_PER_ADDRESS_DAY} confirmations a day, whoever adds it`, async () => {
    const start = new Date();
    const target = "target@inbox.test";
    for (let i = 0; i < CONFIRMATIONS_PER_ADDRESS_DAY; i++) await (await account(`198.51.100.${30 + i}`)).add(start, target);
    expect(smtp.take().flatMap(recipientsOf)).toEqual(Array(CONFIRMATIONS_PER_ADDRESS_DAY).fill(target));
    const late = await account("198.51.100.50");
    const refused = await expectCode(late.add(start, "Target@Inbox.test"), "TOO_MANY_REQUESTS");
    expect(refused.message).toBe("No more confirmation emails go to this address today");
    expect(smtp.take()).toEqual([]);
    // Only that address is held back, and only for the day.
    await late.add(start);
    expect(smtp.take()).toHaveLength(1);
    await late.add(minutes(start, 24 * 60 + 1), target);
    await createCaller(testContext({ db, ip: "203.0.113.1" })).digests.confirm({ token: confirmTokenOf(smtp.take()[0]!) });
  });

  it("counts one mailbox however its address is tagged (victim+a@, victim+b@), and removing and adding it again to a link sends no second email within the hour", async () => {
    const start = new Date();
    const sender = await account("198.51.100.60");
    const { id } = await sender.add(start, "again@inbox.test");
    expect(smtp.take()).toHaveLength(1);
    await sender.at(start).sharedLinks.removeDigestRecipient({ ...sender.ref, recipientId: id });
    const again = await expectCode(sender.add(minutes(start, 5), "Again+x@inbox.test"), "TOO_MANY_REQUESTS");
    expect(again.message).toBe(`A confirmation email went to this address for this link less than ${RESEND_AFTER_MINUTES} minutes ago`);
    expect(smtp.take()).toEqual([]);
    // After the hour it may; another link may at once (the daily count per mailbox bounds those).
    await sender.add(minutes(start, RESEND_AFTER_MINUTES + 1), "again@inbox.test");
    const other = await sender.elsewhere();
    await other(minutes(start, 6), "again+other@inbox.test");
    expect(smtp.take()).toHaveLength(2);
    // The daily count is the mailbox's: tags do not make new ones.
    const tagged = "tagged@inbox.test";
    for (let i = 0; i < CONFIRMATIONS_PER_ADDRESS_DAY; i++) await (await account(`198.51.100.${70 + i}`)).add(start, tagged.replace("@", `+${i}@`));
    const refused = await expectCode((await account("198.51.100.90")).add(start, "tagged+fresh@inbox.test"), "TOO_MANY_REQUESTS");
    expect(refused.message).toBe("No more confirmation emails go to this address today");
  });
});
