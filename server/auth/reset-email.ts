import type { MailMessage } from "../mail/message.js";

export const RESET_SUBJECT = "Reset your Glimpse password";

/**
 * The one email a reset request sends: our link and nothing anyone typed but the address, so it
 * cannot carry someone else's words. Plain text and a minimal HTML part.
 */
export function composeResetEmail(c: { to: string; resetUrl: string; minutes: number; host: string; sentAt: Date; id: string }): MailMessage {
  const text = [
    "Hello,",
    "",
    `Someone asked to reset the password of the Glimpse account ${c.to} at ${c.host}.`,
    "",
    `Choose a new password: ${c.resetUrl}`,
    "",
    `The link works once, for ${c.minutes} minutes. If you did not ask for it, ignore this email: your password stays as it is.`,
    "",
    "--",
    `Sent by Glimpse at ${c.host}. Glimpse never asks for a password by email.`,
    "",
  ].join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(RESET_SUBJECT)}</title></head>
<body style="font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827;">
<p>Someone asked to reset the password of the Glimpse account ${escape(c.to)} at ${escape(c.host)}.</p>
<p><a href="${escape(c.resetUrl)}">Choose a new password</a></p>
<p>The link works once, for ${c.minutes} minutes. If you did not ask for it, ignore this email: your password stays as it is.</p>
<p style="color:#6b7280;font-size:13px;">Sent by Glimpse at ${escape(c.host)}. Glimpse never asks for a password by email.</p>
</body></html>`;
  return {
    to: { name: "", address: c.to },
    subject: RESET_SUBJECT,
    text,
    html,
    headers: {},
    messageId: `<reset-${c.id}.${c.sentAt.getTime()}@${c.host}>`,
  };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
