import type { MailMessage } from "../mail/message.js";

/**
 * The shape of the mails an account gets about itself (a reset link, an address to confirm): one
 * sentence of what happened, our one link, what to do if it was not them. Only our words and the
 * account's address go in, so such a mail cannot carry anyone else's text.
 */
export function composeNotice(c: {
  to: string;
  subject: string;
  says: string;
  link: { label: string; url: string };
  then: string;
  host: string;
  messageId: { kind: string; id: string; sentAt: Date };
}): MailMessage {
  const footer = `Sent by Glimpse at ${c.host}. Glimpse never asks for a password by email.`;
  const text = ["Hello,", "", c.says, "", `${c.link.label}: ${c.link.url}`, "", c.then, "", "--", footer, ""].join("\n");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(c.subject)}</title></head>
<body style="font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#111827;">
<p>${escape(c.says)}</p>
<p><a href="${escape(c.link.url)}">${escape(c.link.label)}</a></p>
<p>${escape(c.then)}</p>
<p style="color:#6b7280;font-size:13px;">${escape(footer)}</p>
</body></html>`;
  // A Message-ID's right side is a domain: the host without its port.
  const domain = c.host.replace(/:\d+$/, "");
  const messageId = `<${c.messageId.kind}-${c.messageId.id}.${c.messageId.sentAt.getTime()}@${domain}>`;
  return { to: { name: "", address: c.to }, subject: c.subject, text, html, headers: {}, messageId };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
