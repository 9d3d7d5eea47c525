import type { Db } from "../../db/client.js";
import { env } from "../env.js";
import { Conflict, Invalid, NotFound, Unavailable } from "../errors.js";
import { formatRange } from "../schemas/display.js";
import { findLinkById } from "../share/access.js";
import { linkState } from "../shared-links/link-scope.js";
import { buildDigest } from "./job.js";
import { configuredMailer } from "./mailer.js";
import { lastCompletePeriod } from "./periods.js";
import { limitKey } from "../http/client-address.js";
import { takeHit } from "../rate-limit.js";
import { PREVIEWS_PER_HOUR } from "../schemas/digests.js";

export const DIGESTS_OFF = "Digests are off on this server: it has no mail server to send them through (SMTP_URL).";

/**
 * Sends one recipient the digest of the latest complete period now, marked as a preview. It is
 * not the scheduled digest: that one still goes out when it is due.
 */
export async function sendPreview(db: Db, siteId: string, linkId: string, recipientId: string, now = new Date()) {
  const mailer = configuredMailer(env().mail);
  if (!mailer) throw new Invalid(DIGESTS_OFF);
  const row = await db
    .selectFrom("digest_recipients as r")
    .innerJoin("shared_links as l", "l.id", "r.link_id")
    .leftJoin("link_digests as d", "d.link_id", "r.link_id")
    .select(["r.id", "r.email", "r.name", "r.unsubscribe_token", "r.unsubscribed_at", "l.name as link_name", "d.frequency"])
    .where("l.site_id", "=", siteId)
    .where("l.id", "=", linkId)
    .where("r.id", "=", recipientId)
    .executeTakeFirst();
  if (!row) throw new NotFound("Recipient not found");
  if (row.unsubscribed_at) throw new Conflict(`${row.email} unsubscribed from this digest, so nothing is sent to them`);
  const link = await findLinkById(db, linkId);
  const state = linkState({ expires_at: link.expiresAt, paused_at: link.pausedAt }, now);
  if (state !== "active") throw new Conflict(`This link is ${state}, so its digest is not sent`);
  // Counted before the work: a preview is mail sent on demand, so a site gets a few an hour.
  await takeHit(db, [{ key: limitKey("digest-preview", siteId), max: PREVIEWS_PER_HOUR, windowMinutes: 60, message: `A site can send ${PREVIEWS_PER_HOUR} previews an hour` }], now);
  const frequency = row.frequency ?? "weekly";
  const period = lastCompletePeriod(frequency, link.site.timezone, now);
  const message = await buildDigest(
    db,
    { link, linkName: row.link_name, frequency, recipient: row, period: { from: period.from, to: period.to }, preview: true },
    { now, host: new URL(env().publicUrl).hostname },
  );
  if (!message) throw new Invalid(`This link shows none of ${formatRange(period.from, period.to)}, so there is no digest to preview`);
  try {
    await mailer.send(message);
  } catch {
    // The mail server's own words name hosts and ports of the operator's: not for every site admin.
    throw new Unavailable("The mail server did not take the preview. Try again later.", 60);
  }
  return { email: row.email, from: period.from, to: period.to };
}
