import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { Db } from "../../db/client.js";
import { NotFound } from "../errors.js";
import { type DigestFrequency, type RecipientState, RESEND_AFTER_MINUTES } from "../schemas/digests.js";
import { linkState } from "../shared-links/link-scope.js";
import { lastCompletePeriod, nextPeriod, SETTLE_AFTER_MS } from "./periods.js";

export interface DigestSettings {
  frequency: DigestFrequency | null;
  /** When the next digest goes out and what it covers; null when none will (off, paused, expired, nobody subscribed). */
  next: { sendsAt: string; from: string; to: string } | null;
  /** Instants as ISO strings, like every output of the API. */
  recipients: {
    id: string;
    email: string;
    name: string;
    createdAt: string;
    /** waiting (for confirmation), confirmed, or unsubscribed (or declined): only confirmed ones get digests and previews. */
    state: RecipientState;
    confirmedAt: string | null;
    /** The last confirmation email, when it stops working, and when another may be sent (null: now). */
    confirmationSentAt: string | null;
    confirmationExpiresAt: string | null;
    canResendAt: string | null;
    unsubscribedAt: string | null;
    lastSentAt: string | null;
  }[];
}

export async function siteLink(db: Db, siteId: string, linkId: string) {
  const link = await db
    .selectFrom("shared_links as l")
    .innerJoin("sites as s", "s.id", "l.site_id")
    .leftJoin("link_digests as d", "d.link_id", "l.id")
    .select(["l.id", "l.expires_at", "l.paused_at", "s.timezone", "d.frequency", "d.since"])
    .where("l.site_id", "=", siteId)
    .where("l.id", "=", linkId)
    .executeTakeFirst();
  if (!link) throw new NotFound("Shared link not found");
  return link;
}

const RECIPIENT_COLUMNS = ["r.id", "r.email", "r.name", "r.created_at", "r.unsubscribed_at", "r.confirmed_at", "r.confirm_sent_at", "r.confirm_expires_at"] as const;
const RESEND_MS = RESEND_AFTER_MINUTES * 60_000;

export function recipientState(r: { unsubscribed_at: Date | null; confirmed_at: Date | null }): RecipientState {
  return r.unsubscribed_at ? "unsubscribed" : r.confirmed_at ? "confirmed" : "waiting";
}

export async function getDigestSettings(db: Db, siteId: string, linkId: string, now = new Date()): Promise<DigestSettings> {
  const link = await siteLink(db, siteId, linkId);
  const rows = await db
    .selectFrom("digest_recipients as r")
    .leftJoin("digest_sends as d", (join) => join.onRef("d.recipient_id", "=", "r.id").on("d.status", "=", "sent"))
    .select([...RECIPIENT_COLUMNS, (eb) => eb.fn.max("d.sent_at").as("last_sent_at")])
    .where("r.link_id", "=", link.id)
    .groupBy([...RECIPIENT_COLUMNS])
    .orderBy("r.created_at")
    .orderBy("r.email")
    .execute();
  const recipients = rows.map((r) => ({
    id: r.id,
    email: r.email,
    name: r.name,
    createdAt: r.created_at.toISOString(),
    state: recipientState(r),
    confirmedAt: r.confirmed_at?.toISOString() ?? null,
    confirmationSentAt: r.confirm_sent_at?.toISOString() ?? null,
    confirmationExpiresAt: r.confirm_expires_at?.toISOString() ?? null,
    canResendAt: r.confirm_sent_at && r.confirm_sent_at.getTime() + RESEND_MS > now.getTime() ? new Date(r.confirm_sent_at.getTime() + RESEND_MS).toISOString() : null,
    unsubscribedAt: r.unsubscribed_at?.toISOString() ?? null,
    lastSentAt: r.last_sent_at ? new Date(r.last_sent_at as Date | string).toISOString() : null,
  }));
  const live = linkState(link, now) === "active";
  const anyone = recipients.some((r) => r.state === "confirmed");
  let next: DigestSettings["next"] = null;
  if (link.frequency && live && anyone) {
    // The period that just ended may still be settling; otherwise the one running now is next.
    const last = lastCompletePeriod(link.frequency, link.timezone, now);
    const settling = now.getTime() < last.endsAt.getTime() + SETTLE_AFTER_MS && (!link.since || last.endsAt > link.since);
    const period = settling ? last : nextPeriod(link.frequency, link.timezone, now);
    next = { sendsAt: new Date(period.endsAt.getTime() + SETTLE_AFTER_MS).toISOString(), from: period.from, to: period.to };
  }
  return { frequency: link.frequency, next, recipients };
}

/** null turns digests off; recipients stay, so turning them on again needs no retyping. */
export async function setDigestSchedule(db: Db, siteId: string, linkId: string, frequency: DigestFrequency | null): Promise<void> {
  const link = await siteLink(db, siteId, linkId);
  if (frequency === link.frequency) return;
  if (frequency === null) {
    await db.deleteFrom("link_digests").where("link_id", "=", link.id).execute();
    return;
  }
  // A new schedule starts now: periods that ended before it are not sent.
  await db
    .insertInto("link_digests")
    .values({ link_id: link.id, frequency })
    .onConflict((oc) => oc.column("link_id").doUpdateSet({ frequency, since: sql`now()` }))
    .execute();
}

/** Removing someone who unsubscribed keeps their choice: their address (as a hash) stays blocked on this link. */
export async function removeRecipient(db: Db, siteId: string, linkId: string, recipientId: string): Promise<void> {
  const link = await siteLink(db, siteId, linkId);
  await db.transaction().execute(async (trx) => {
    const removed = await trx
      .deleteFrom("digest_recipients")
      .where("link_id", "=", link.id)
      .where("id", "=", recipientId)
      .returning(["email", "unsubscribed_at"])
      .executeTakeFirst();
    if (!removed) throw new NotFound("Recipient not found");
    if (removed.unsubscribed_at) {
      await trx
        .insertInto("digest_suppressions")
        .values({ link_id: link.id, email_hash: emailHash(removed.email) })
        .onConflict((oc) => oc.columns(["link_id", "email_hash"]).doNothing())
        .execute();
    }
  });
}

export const emailHash = (email: string) => createHash("sha256").update(email.trim().toLowerCase()).digest("base64url");

/** What an unsubscribe page tells the person who clicked. */
export interface Subscription {
  email: string;
  linkName: string;
  domain: string;
  subscribed: boolean;
}

const NOT_A_TOKEN = "This unsubscribe link is not valid. The recipient may have been removed from the digest.";

async function byToken(db: Db, token: string) {
  const row = await db
    .selectFrom("digest_recipients as r")
    .innerJoin("shared_links as l", "l.id", "r.link_id")
    .innerJoin("sites as s", "s.id", "l.site_id")
    .select(["r.id", "r.email", "r.unsubscribed_at", "l.name as link_name", "s.domain"])
    .where("r.unsubscribe_token", "=", token)
    .executeTakeFirst();
  if (!row) throw new NotFound(NOT_A_TOKEN);
  return row;
}

/** One click, no login: the token in the email is the permission. Repeating it changes nothing. */
export async function unsubscribe(db: Db, token: string, now = new Date()): Promise<Subscription> {
  const row = await byToken(db, token);
  if (!row.unsubscribed_at) {
    await db.updateTable("digest_recipients").set({ unsubscribed_at: now }).where("id", "=", row.id).where("unsubscribed_at", "is", null).execute();
  }
  return { email: row.email, linkName: row.link_name, domain: row.domain, subscribed: false };
}

/** Undo from the same page: a mistaken click is not final. */
export async function resubscribe(db: Db, token: string): Promise<Subscription> {
  const row = await byToken(db, token);
  if (row.unsubscribed_at) await db.updateTable("digest_recipients").set({ unsubscribed_at: null }).where("id", "=", row.id).execute();
  return { email: row.email, linkName: row.link_name, domain: row.domain, subscribed: true };
}

export async function subscription(db: Db, token: string): Promise<Subscription> {
  const row = await byToken(db, token);
  return { email: row.email, linkName: row.link_name, domain: row.domain, subscribed: row.unsubscribed_at === null };
}
