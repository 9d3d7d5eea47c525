import type { MailMessage } from "../mail/message.js";

export const INVITATION_SUBJECT = "You are invited to a site on Glimpse";

/**
 * The invitation mail: who invites, to which site, with which role, and our link. Nothing anyone
 * typed but the addresses and the site's domain (validated as a domain), so it cannot carry
 * someone else's words. Plain text and a minimal HTML part.
 */
export function composeInvitationEmail(c: {
  to: string;
  invitedBy: string;
  domain: string;
  role: "viewer" | "admin";
  acceptUrl: string;
  expiresOn: string;
  host: string;
  sentAt: Date;
  id: string;
}): MailMessage {
  const what = c.role === "admin" ? "see its dashboard and manage its shared links and segments" : "see its dashboard";
  const text = [
    "Hello,",
    "",
    `${c.invitedBy} invited you to the site ${c.domain} on Glimpse at ${c.host}, as ${c.role === "admin" ? "an admin" : "a viewer"}: you will ${what}.`,
    "",
    `Accept the invitation: ${c.acceptUrl}`,
    "",
    `The link works once, until ${c.expiresOn}. Without a Glimpse account for ${c.to} you choose a password there; with one you log in first. If you did not expect this, ignore this email: nothing happens.`,
    "",
    "--",
    `Sent by Glimpse at ${c.host} on behalf of ${c.invitedBy}. Glimpse never asks for a password by email.`,
    "",
  ].join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(INVITATION_SUBJECT)}</title></head>
<body style="font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827;">
<p>${escape(c.invitedBy)} invited you to the site <strong>${escape(c.domain)}</strong> on Glimpse at ${escape(c.host)}, as ${c.role === "admin" ? "an admin" : "a viewer"}: you will ${what}.</p>
<p><a href="${escape(c.acceptUrl)}">Accept the invitation</a></p>
<p>The link works once, until ${escape(c.expiresOn)}. Without a Glimpse account for ${escape(c.to)} you choose a password there; with one you log in first. If you did not expect this, ignore this email: nothing happens.</p>
<p style="color:#6b7280;font-size:13px;">Sent by Glimpse at ${escape(c.host)} on behalf of ${escape(c.invitedBy)}. Glimpse never asks for a password by email.</p>
</body></html>`;
  return {
    to: { name: "", address: c.to },
    subject: INVITATION_SUBJECT,
    text,
    html,
    headers: {},
    messageId: `<invitation-${c.id}.${c.sentAt.getTime()}@${c.host}>`,
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
