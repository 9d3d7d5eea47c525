import { fixedClock } from "../clock.js";
import { env } from "../env.js";
import { findLinkById } from "../share/access.js";
import { digestView } from "../share/scope.js";
import { shareDigest } from "../share/share-stats.js";
import { linkState } from "../shared-links/link-scope.js";
import { shareUrl } from "../shared-links/links.js";
import type { DigestFrequency } from "../schemas/digests.js";
import type { StatsServices } from "../stats/dashboard.js";
import { composeDigest, DIGEST_ROWS, type MailMessage } from "./email.js";
import { previousPeriod } from "./periods.js";

/** One digest mail: who gets it, the link's scoped figures of the period, and its headers. */

/** A planned digest: one recipient, one period. */
export interface PlannedDigest {
  recipient_id: string;
  period_from: string;
  period_to: string;
  frequency: DigestFrequency;
}

export interface MessageOptions {
  /** When the digest is sent. */
  now: Date;
  /** The host part of Message-IDs. */
  host: string;
}

/** The digest for one claimed row, or null when it should no longer go out. */
export async function digestMessage(stats: StatsServices, send: PlannedDigest, options: MessageOptions): Promise<MailMessage | null> {
  const { db } = stats;
  const row = await db
    .selectFrom("digest_recipients as r")
    .innerJoin("shared_links as l", "l.id", "r.link_id")
    .innerJoin("link_digests as d", "d.link_id", "r.link_id")
    .select(["r.id", "r.email", "r.name", "r.unsubscribe_token", "r.unsubscribed_at", "r.confirmed_at", "l.id as link_id", "l.name as link_name", "d.frequency"])
    .where("r.id", "=", send.recipient_id)
    .executeTakeFirst();
  // A schedule changed since the row was planned (weekly to monthly) makes it void: the new one plans its own.
  if (!row || row.unsubscribed_at || !row.confirmed_at || row.frequency !== send.frequency) return null;
  const link = await findLinkById(db, row.link_id);
  if (linkState({ expires_at: link.expiresAt, paused_at: link.pausedAt }, options.now) !== "active") return null;
  return buildDigest(stats, { link, linkName: row.link_name, frequency: send.frequency, recipient: row, period: { from: send.period_from, to: send.period_to } }, options);
}

export interface DigestFor {
  link: Awaited<ReturnType<typeof findLinkById>>;
  linkName: string;
  frequency: DigestFrequency;
  /** No unsubscribe token: a preview the admin sent to their own account's address. */
  recipient: { id: string; email: string; name: string; unsubscribe_token: string | null };
  period: { from: string; to: string };
  preview?: boolean;
}

/** One recipient's digest of one period, scoped like any view of the link; null when the link shows none of it. */
export async function buildDigest(stats: StatsServices, digest: DigestFor, options: MessageOptions): Promise<MailMessage | null> {
  const { link, period, recipient } = digest;
  const before = previousPeriod({ frequency: digest.frequency, from: period.from });
  const view = digestView(link, period, before);
  if (!view) return null;
  const figures = await shareDigest({ ...stats, clock: fixedClock(options.now) }, view, before, { limit: DIGEST_ROWS });
  const unsubscribeUrl = recipient.unsubscribe_token ? `${env().publicUrl}/unsubscribe/${recipient.unsubscribe_token}` : null;
  const content = composeDigest({
    frequency: digest.frequency,
    linkName: digest.linkName,
    domain: link.site.domain,
    segmentName: link.segment?.name ?? null,
    dashboardUrl: dashboardUrl(link, view.period),
    passwordProtected: link.passwordHash !== null,
    unsubscribeUrl,
    recipient,
    stats: figures,
    notice: view.notice,
    preview: digest.preview,
  });
  return {
    to: { name: recipient.name, address: recipient.email },
    ...content,
    headers: {
      // RFC 8058: mail clients offer their own unsubscribe button, which POSTs to this URL.
      ...(unsubscribeUrl && { "List-Unsubscribe": `<${unsubscribeUrl}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click" }),
      "Auto-Submitted": "auto-generated",
    },
    messageId: `<digest.${digest.preview ? `preview.${options.now.getTime()}.` : ""}${recipient.id}.${period.from}.${period.to}@${options.host}>`,
  };
}

/** The dashboard on the digest's period when the link lets recipients choose one. */
function dashboardUrl(link: DigestFor["link"], period: { key: string; from?: string; to?: string }): string {
  const base = shareUrl(link.slug);
  if (!link.allowPeriodChange || link.bounds?.kind === "fixed") return base;
  return `${base}?period=custom&from=${period.from}&to=${period.to}`;
}
