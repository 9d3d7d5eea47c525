import nodemailer from "nodemailer";
import type { MailMessage } from "./message.js";

export interface Mailer {
  /** Resolves once the SMTP server accepted the message for every recipient. */
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/**
 * Mail over SMTP_URL (smtp:// upgrades with STARTTLS when the server offers it; smtps:// is TLS
 * from the start). Timeouts are short and well under a send's lease (digests/job.ts), so a hung
 * server fails the attempt instead of letting another instance send the same digest meanwhile.
 */
export function smtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: 20_000,
    greetingTimeout: 20_000,
    socketTimeout: 60_000,
  });
  return {
    async send(message) {
      const info = await transport.sendMail({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: message.headers,
        messageId: message.messageId,
      });
      if (info.rejected.length > 0) throw new Error(`The mail server refused ${info.rejected.length} recipient(s)`);
    },
    close: () => transport.close(),
  };
}

let shared: { key: string; mailer: Mailer } | null = null;

/** The process's mailer for SMTP_URL, made on first use; null when digests are off. */
export function configuredMailer(mail: { smtpUrl: string; from: string } | null): Mailer | null {
  if (!mail) return null;
  const key = `${mail.smtpUrl}\n${mail.from}`;
  if (shared?.key !== key) {
    shared?.mailer.close();
    shared = { key, mailer: smtpMailer(mail.smtpUrl, mail.from) };
  }
  return shared.mailer;
}
