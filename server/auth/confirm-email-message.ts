import type { MailMessage } from "../mail/message.js";

export const CONFIRM_EMAIL_SUBJECT = "Confirm your email address for Glimpse";

/**
 * The mail that proves an account's address is its owner's: our words and our link only (nothing
 * anyone typed but the address), since the address is whatever was given at sign-up and may be a
 * stranger's.
 */
export function composeEmailConfirmation(c: { to: string; confirmUrl: string; hours: number; host: string; sentAt: Date; id: string }): MailMessage {
  const text = [
    "Hello,",
    "",
    `Someone asked to confirm that ${c.to} is the address of their Glimpse account at ${c.host}.`,
    "",
    `Yes, this is my account: ${c.confirmUrl}`,
    "",
    `The link opens a page where you confirm with a button; it works for ${c.hours} hours. If you have no such account, ignore this email: nothing is sent to you on its behalf unless the address is confirmed.`,
    "",
    "--",
    `Sent by Glimpse at ${c.host}. Glimpse never asks for a password by email.`,
    "",
  ].join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(CONFIRM_EMAIL_SUBJECT)}</title></head>
<body style="font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827;">
<p>Someone asked to confirm that ${escape(c.to)} is the address of their Glimpse account at ${escape(c.host)}.</p>
<p><a href="${escape(c.confirmUrl)}">Yes, this is my account</a></p>
<p>The link opens a page where you confirm with a button; it works for ${c.hours} hours. If you have no such account, ignore this email: nothing is sent to you on its behalf unless the address is confirmed.</p>
<p style="color:#6b7280;font-size:13px;">Sent by Glimpse at ${escape(c.host)}. Glimpse never asks for a password by email.</p>
</body></html>`;
  return { to: { name: "", address: c.to }, subject: CONFIRM_EMAIL_SUBJECT, text, html, headers: {}, messageId: `<confirm-${c.id}.${c.sentAt.getTime()}@${c.host}>` };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
