import type { MailMessage } from "./email.js";

export interface ConfirmationContent {
  /** Only the address: the name an admin typed is not shown to someone who has not agreed to anything. */
  to: string;
  /** The account that added them (its sign-up address) and the site: who is asking, in our words. */
  addedBy: string;
  domain: string;
  confirmUrl: string;
  expiresOn: string;
  /** Our own host (PUBLIC_URL's), for the footer and the Message-ID. */
  host: string;
  recipientId: string;
  sentAt: Date;
}

export const CONFIRMATION_SUBJECT = "Please confirm: do you want this analytics digest?";

/**
 * The one email a new recipient gets before they confirm. It only asks: no figures, and nothing
 * else the admin typed (not the link's name, not the recipient's name), since a stranger's text in
 * our sender's mail is what a phishing mail needs. The admin's address and the site's domain are
 * named so the recipient knows who asks; in the HTML part they are broken up with zero-width
 * spaces so mail clients do not turn them into links. The only link is ours.
 */
export function composeConfirmation(c: ConfirmationContent): MailMessage {
  const declineUrl = `${c.confirmUrl}?choice=decline`;
  const text = [
    "Hello,",
    "",
    `${c.addedBy} added ${c.to} to an email digest of the website analytics of ${c.domain}, on the Glimpse server at ${c.host}.`,
    "Nothing more is sent to you unless you confirm.",
    "",
    `Yes, send me the digest: ${c.confirmUrl}`,
    `No, don't send me anything from this site: ${declineUrl}`,
    "",
    `Both open a page where you choose with a button. The link works until ${c.expiresOn}. If you ignore this email, you get no digest.`,
    "",
    "--",
    `Sent by Glimpse at ${c.host} because an account there asked for it. Glimpse never asks for a password by email.`,
    "",
  ].join("\n");
  const who = inert(c.addedBy);
  const site = inert(c.domain);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escape(CONFIRMATION_SUBJECT)}</title></head>
<body style="margin:0;padding:0;background:#f4f5f7;">
<div style="max-width:560px;margin:0 auto;padding:24px 16px;font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827;">
<div style="background:#ffffff;border-radius:8px;padding:24px;">
<h1 style="font-size:20px;margin:0 0 12px;">Do you want this analytics digest?</h1>
<p style="margin:0 0 8px;font-size:15px;line-height:1.5;"><strong>${who}</strong> added ${inert(c.to)} to an email digest of the website analytics of <strong>${site}</strong>, on the Glimpse server at ${inert(c.host)}.</p>
<p style="margin:0 0 20px;font-size:15px;line-height:1.5;">Nothing more is sent to you unless you confirm.</p>
<p style="margin:0 0 12px;"><a href="${escape(c.confirmUrl)}" style="display:inline-block;background:#4f46e5;color:#ffffff;text-decoration:none;padding:10px 16px;border-radius:6px;font-weight:600;">Yes, send me the digest</a></p>
<p style="margin:0 0 20px;"><a href="${escape(declineUrl)}" style="color:#374151;">No, don’t send me anything from this site</a></p>
<p style="margin:0;color:#4b5563;font-size:13px;line-height:1.5;">Both open a page where you choose with a button. The link works until ${escape(c.expiresOn)}. If you ignore this email, you get no digest.</p>
</div>
<p style="color:#6b7280;font-size:12px;line-height:1.5;margin:16px 8px;">Sent by Glimpse at ${inert(c.host)} because an account there asked for it. Glimpse never asks for a password by email.</p>
</div>
</body></html>
`;
  return {
    to: { name: "", address: c.to },
    subject: CONFIRMATION_SUBJECT,
    text,
    html,
    headers: {
      // A mail client's own unsubscribe button declines (RFC 8058 one-click POST to the same page).
      "List-Unsubscribe": `<${c.confirmUrl}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      "Auto-Submitted": "auto-generated",
    },
    messageId: `<confirm.${c.recipientId}.${c.sentAt.getTime()}@${c.host}>`,
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Escaped, with a zero-width space after each dot and @, so no mail client links it. */
const inert = (s: string) => escape(s).replace(/[.@]/g, (ch) => `${ch}&#8203;`);
