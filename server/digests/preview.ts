import type { StatsServices } from "../stats/dashboard.js";
import { env } from "../env.js";
import { Conflict, Invalid, NotFound, Unavailable } from "../errors.js";
import { limitKey } from "../net/client-address.js";
import { formatRange } from "../schemas/display.js";
import { PREVIEWS_PER_HOUR } from "../schemas/digests.js";
import { findLinkById } from "../share/access.js";
import { linkState } from "../shared-links/link-scope.js";
import { buildDigest, type DigestFor } from "./message.js";
import { type MailSender, takePreviewHit } from "./mail-limits.js";
import { configuredMailer } from "./mailer.js";
import { requireConfirmedEmail } from "../auth/email-confirmation.js";
import { lastCompletePeriod } from "./periods.js";

export const DIGESTS_OFF = "Digests are off on this server: it has no mail server to send them through (SMTP_URL).";

/**
 * Sends one confirmed recipient the digest of the latest complete period now, marked as a
 * preview. It is not the scheduled digest: that one still goes out when it is due. Someone who
 * has not confirmed gets nothing: a preview is mail on demand, to an address an admin typed.
 */
export async function sendPreview(stats: StatsServices, siteId: string, linkId: string, recipientId: string, sender: MailSender) {
  const { db } = stats;
  if (!configuredMailer(env().mail)) throw new Invalid(DIGESTS_OFF);
  // The preview carries what the sender typed (the link's name) to whoever confirmed: only from a proven account.
  await requireConfirmedEmail(db, sender.userId);
  const row = await db
    .selectFrom("digest_recipients as r")
    .innerJoin("shared_links as l", "l.id", "r.link_id")
    .select(["r.id", "r.email", "r.name", "r.unsubscribe_token", "r.unsubscribed_at", "r.confirmed_at"])
    .where("l.site_id", "=", siteId)
    .where("l.id", "=", linkId)
    .where("r.id", "=", recipientId)
    .executeTakeFirst();
  if (!row) throw new NotFound("Recipient not found");
  if (row.unsubscribed_at) throw new Conflict(`${row.email} unsubscribed from this digest, so nothing is sent to them`);
  if (!row.confirmed_at) {
    throw new Conflict(`${row.email} has not confirmed yet, so nothing is sent to them. Previews go only to recipients who confirmed, or to you (Send preview to me).`);
  }
  return preview(stats, siteId, linkId, row, sender);
}

/** The same preview to the admin's own account address (once it is confirmed), whoever the recipients are. */
export async function sendPreviewToMe(stats: StatsServices, siteId: string, linkId: string, sender: MailSender) {
  if (!configuredMailer(env().mail)) throw new Invalid(DIGESTS_OFF);
  // The account's address is whatever was typed at sign-up: a stranger's, until proven.
  await requireConfirmedEmail(stats.db, sender.userId);
  return preview(stats, siteId, linkId, { id: `me.${sender.userId}`, email: sender.email, name: "", unsubscribe_token: null }, sender);
}

async function preview(stats: StatsServices, siteId: string, linkId: string, recipient: DigestFor["recipient"], sender: MailSender) {
  const { db } = stats;
  const now = stats.clock.now();
  const mailer = configuredMailer(env().mail)!;
  const named = await db
    .selectFrom("shared_links as l")
    .leftJoin("link_digests as d", "d.link_id", "l.id")
    .select(["l.name", "d.frequency"])
    .where("l.site_id", "=", siteId)
    .where("l.id", "=", linkId)
    .executeTakeFirst();
  if (!named) throw new NotFound("Shared link not found");
  const link = await findLinkById(db, linkId);
  const state = linkState({ expires_at: link.expiresAt, paused_at: link.pausedAt }, now);
  if (state !== "active") throw new Conflict(`This link is ${state}, so its digest is not sent`);
  // Counted before the work: the sender's budgets, then a few an hour per site.
  const perSite = { key: limitKey("digest-preview", siteId), max: PREVIEWS_PER_HOUR, windowMinutes: 60, message: `A site can send ${PREVIEWS_PER_HOUR} previews an hour` };
  await takePreviewHit(db, sender, perSite, now);
  const frequency = named.frequency ?? "weekly";
  const period = lastCompletePeriod(frequency, link.site.timezone, now);
  const message = await buildDigest(
    stats,
    { link, linkName: named.name, frequency, recipient, period: { from: period.from, to: period.to }, preview: true },
    { now, host: new URL(env().publicUrl).hostname },
  );
  if (!message) throw new Invalid(`This link shows none of ${formatRange(period.from, period.to)}, so there is no digest to preview`);
  try {
    await mailer.send(message);
  } catch {
    // The mail server's own words name hosts and ports of the operator's: not for every site admin.
    throw new Unavailable("The mail server did not take the preview. Try again later.", 60);
  }
  return { email: recipient.email, from: period.from, to: period.to };
}
