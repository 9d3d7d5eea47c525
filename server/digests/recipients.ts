import { createHash } from "node:crypto";
import { nanoid } from "nanoid";
import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { env } from "../env.js";
import { Conflict, Invalid, isUniqueViolation, NotFound, TooManyRequests, Unavailable } from "../errors.js";
import { CONFIRM_DAYS, MAX_RECIPIENTS, MAX_SITE_RECIPIENTS, RESEND_AFTER_MINUTES } from "../schemas/digests.js";
import { formatDay } from "../schemas/display.js";
import { composeConfirmation } from "./confirmation-email.js";
import { requireConfirmedEmail } from "../auth/email-confirmation.js";
import { type MailSender, takeConfirmationHit } from "./mail-limits.js";
import { configuredMailer } from "./mailer.js";
import { emailHash, siteLink } from "./settings.js";

/** 32 URL-safe characters from the CSPRNG (~190 bits): unsubscribe and confirmation secrets. */
const newToken = () => nanoid(32);
export const tokenHash = (token: string) => createHash("sha256").update(token).digest("base64url");

const DAY_MS = 86_400_000;
const RESEND_MS = RESEND_AFTER_MINUTES * 60_000;

interface Site {
  id: string;
  domain: string;
}

/**
 * Adds a recipient who waits for confirmation, and sends them the one email that asks for it
 * (when mail is on; otherwise the admin sends it later). Mail budgets are counted first, and the
 * row and the email stand or fall together: a refusal, or a mail server that does not take the
 * email, leaves nothing behind.
 */
export async function addRecipient(db: Db, site: Site, linkId: string, input: { email: string; name?: string }, sender: MailSender, now = new Date()) {
  const link = await siteLink(db, site.id, linkId);
  const email = input.email.trim();
  const mail = configuredMailer(env().mail);
  // The confirmation names the account that asks: only an account whose address is proven may.
  if (mail) await requireConfirmedEmail(db, sender.userId);
  // Known or declined addresses are refused as such before any mail budget is counted (and again under the locks below).
  await refuseKnown(db, site.id, link.id, email);
  const release = mail ? await takeConfirmationHit(db, sender, email, link.id, now) : async () => {};
  const token = newToken();
  let added;
  try {
    added = await db.transaction().execute(async (trx) => {
      // Serialise additions by one account, then to one link, so every cap holds under concurrent requests.
      await trx.selectFrom("users").select("id").where("id", "=", sender.userId).forUpdate().execute();
      await trx.selectFrom("shared_links").select("id").where("id", "=", link.id).forUpdate().execute();
      await refuseKnown(trx, site.id, link.id, email);
      await refuseOverCaps(trx, site.id, link.id, sender.userId);
      return trx
        .insertInto("digest_recipients")
        .values({
          link_id: link.id,
          email,
          name: input.name ?? "",
          unsubscribe_token: newToken(),
          added_by: sender.userId,
          confirm_token_hash: tokenHash(token),
          confirm_sent_at: mail ? now : null,
          confirm_expires_at: mail ? new Date(now.getTime() + CONFIRM_DAYS * DAY_MS) : null,
        })
        .returning(["id", "email", "name", "created_at"])
        .executeTakeFirstOrThrow();
    });
  } catch (error) {
    await release();
    if (isUniqueViolation(error)) throw new Conflict(`${email} was already added to this digest`, "email");
    throw error;
  }
  const result = { id: added.id, email: added.email, name: added.name, createdAt: added.created_at.toISOString(), state: "waiting" as const, confirmationSent: false };
  if (!mail) return result;
  try {
    await mail.send(confirmationMessage({ id: added.id, email }, token, sender.email, site.domain, now));
  } catch {
    await db.deleteFrom("digest_recipients").where("id", "=", added.id).where("confirmed_at", "is", null).execute();
    // The mail server's own words name the operator's hosts: not for every site admin.
    throw new Unavailable(`The mail server did not take the confirmation email, so ${email} was not added. Try again later.`, 60);
  }
  return { ...result, confirmationSent: true };
}

/** Someone who asked to be left alone, or is on the link already, is not added (again). */
async function refuseKnown(trx: Db, siteId: string, linkId: string, email: string) {
  const hash = emailHash(email);
  const [onSite, onLink, existing] = await Promise.all([
    trx.selectFrom("digest_site_suppressions").select("site_id").where("site_id", "=", siteId).where("email_hash", "=", hash).executeTakeFirst(),
    trx.selectFrom("digest_suppressions").select("link_id").where("link_id", "=", linkId).where("email_hash", "=", hash).executeTakeFirst(),
    trx
      .selectFrom("digest_recipients")
      .select(["email", "unsubscribed_at", "confirmed_at"])
      .where("link_id", "=", linkId)
      .where(sql<string>`lower(email)`, "=", email.toLowerCase())
      .executeTakeFirst(),
  ]);
  // The strongest reason first: they said "nothing from this site".
  if (onSite) throw new Conflict(`${email} asked to get nothing from this site’s digests, so they cannot be added`, "email");
  if (existing?.unsubscribed_at) {
    // Their choice stands: only the recipient can subscribe again, from the link in their email.
    throw new Conflict(`${existing.email} unsubscribed on ${formatDay(existing.unsubscribed_at.toISOString().slice(0, 10))}; only they can subscribe again`, "email");
  }
  if (existing && !existing.confirmed_at) throw new Conflict(`${existing.email} was already added and has not confirmed yet; you can send the confirmation again from the list`, "email");
  if (existing) throw new Conflict(`${existing.email} already gets this digest`, "email");
  if (onLink) throw new Conflict(`${email} unsubscribed from this digest; only they can subscribe again`, "email");
}

async function refuseOverCaps(trx: Db, siteId: string, linkId: string, userId: string) {
  const { onLink, onSite } = await trx
    .selectFrom("digest_recipients as r")
    .innerJoin("shared_links as l", "l.id", "r.link_id")
    .select((eb) => [eb.fn.countAll<string>().filterWhere("r.link_id", "=", linkId).as("onLink"), eb.fn.countAll<string>().as("onSite")])
    .where("l.site_id", "=", siteId)
    .executeTakeFirstOrThrow();
  if (Number(onLink) >= MAX_RECIPIENTS) throw new Invalid(`A digest can have at most ${MAX_RECIPIENTS} recipients`, "email");
  if (Number(onSite) >= MAX_SITE_RECIPIENTS) throw new Invalid(`A site's digests can have at most ${MAX_SITE_RECIPIENTS} recipients together`, "email");
  const max = env().digestLimits.recipientsPerAccount;
  const { byAccount } = await trx
    .selectFrom("digest_recipients")
    .select((eb) => eb.fn.countAll<string>().as("byAccount"))
    .where("added_by", "=", userId)
    .executeTakeFirstOrThrow();
  if (Number(byAccount) >= max) throw new Invalid(`An account can add at most ${max} digest recipients over all its sites; remove some it no longer needs`, "email");
}

/**
 * Sends a waiting recipient a new confirmation link (the old one stops working), at most once per
 * RESEND_AFTER_MINUTES; the first one too, for recipients added while mail was off.
 */
export async function resendConfirmation(db: Db, site: Site, linkId: string, recipientId: string, sender: MailSender, now = new Date()) {
  const link = await siteLink(db, site.id, linkId);
  const mail = configuredMailer(env().mail);
  const row = await db
    .selectFrom("digest_recipients")
    .select(["id", "email", "confirmed_at", "unsubscribed_at", "confirm_sent_at", "confirm_token_hash", "confirm_expires_at"])
    .where("link_id", "=", link.id)
    .where("id", "=", recipientId)
    .executeTakeFirst();
  if (!row) throw new NotFound("Recipient not found");
  if (row.unsubscribed_at) throw new Conflict(`${row.email} unsubscribed from this digest, so nothing is sent to them`);
  if (row.confirmed_at) throw new Conflict(`${row.email} has confirmed already`);
  if (!mail) throw new Invalid("Digests are off on this server: it has no mail server to send the confirmation through (SMTP_URL).");
  const wait = row.confirm_sent_at ? row.confirm_sent_at.getTime() + RESEND_MS - now.getTime() : 0;
  if (wait > 0) throw new TooManyRequests(`A confirmation email went to ${row.email} less than ${RESEND_AFTER_MINUTES} minutes ago`, Math.ceil(wait / 1000));
  await requireConfirmedEmail(db, sender.userId);
  const release = await takeConfirmationHit(db, sender, row.email, link.id, now);
  const token = newToken();
  // Claimed with the old values as the condition, so two requests at once send one email.
  const claimed = await db
    .updateTable("digest_recipients")
    .set({ confirm_token_hash: tokenHash(token), confirm_sent_at: now, confirm_expires_at: new Date(now.getTime() + CONFIRM_DAYS * DAY_MS) })
    .where("id", "=", row.id)
    .where("confirmed_at", "is", null)
    .where("unsubscribed_at", "is", null)
    .where((eb) => (row.confirm_sent_at ? eb("confirm_sent_at", "=", row.confirm_sent_at) : eb("confirm_sent_at", "is", null)))
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) {
    await release();
    throw new Conflict(`${row.email} changed meanwhile; reload the page and try again`);
  }
  try {
    await mail.send(confirmationMessage(row, token, sender.email, site.domain, now));
  } catch {
    await db
      .updateTable("digest_recipients")
      .set({ confirm_token_hash: row.confirm_token_hash, confirm_sent_at: row.confirm_sent_at, confirm_expires_at: row.confirm_expires_at })
      .where("id", "=", row.id)
      .where("confirm_token_hash", "=", tokenHash(token))
      .execute();
    throw new Unavailable("The mail server did not take the confirmation email. Try again later.", 60);
  }
  return { email: row.email, expiresAt: new Date(now.getTime() + CONFIRM_DAYS * DAY_MS).toISOString() };
}

function confirmationMessage(recipient: { id: string; email: string }, token: string, addedBy: string, domain: string, now: Date) {
  const { publicUrl } = env();
  const expires = new Date(now.getTime() + CONFIRM_DAYS * DAY_MS);
  return composeConfirmation({
    to: recipient.email,
    addedBy,
    domain,
    confirmUrl: `${publicUrl}/subscribe/${token}`,
    expiresOn: `${formatDay(expires.toISOString().slice(0, 10))} (UTC)`,
    host: new URL(publicUrl).hostname,
    recipientId: recipient.id,
    sentAt: now,
  });
}
