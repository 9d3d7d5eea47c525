import type { MailMessage } from "../mail/message.js";
import { composeNotice } from "./notice-email.js";

export const RESET_SUBJECT = "Reset your Glimpse password";

/** The one email a reset request sends: our link and nothing anyone typed but the address. */
export function composeResetEmail(c: { to: string; resetUrl: string; minutes: number; host: string; sentAt: Date; id: string }): MailMessage {
  return composeNotice({
    to: c.to,
    subject: RESET_SUBJECT,
    says: `Someone asked to reset the password of the Glimpse account ${c.to} at ${c.host}.`,
    link: { label: "Choose a new password", url: c.resetUrl },
    then: `The link works once, for ${c.minutes} minutes. If you did not ask for it, ignore this email: your password stays as it is.`,
    host: c.host,
    messageId: { kind: "reset", id: c.id, sentAt: c.sentAt },
  });
}
