import type { MailMessage } from "../mail/message.js";
import { composeNotice } from "./notice-email.js";

export const CONFIRM_EMAIL_SUBJECT = "Confirm your email address for Glimpse";

/**
 * The mail that proves an account's address is its owner's: the address is whatever was given at
 * sign-up and may be a stranger's, so it carries our words and our link only.
 */
export function composeEmailConfirmation(c: { to: string; confirmUrl: string; hours: number; host: string; sentAt: Date; id: string }): MailMessage {
  return composeNotice({
    to: c.to,
    subject: CONFIRM_EMAIL_SUBJECT,
    says: `Someone asked to confirm that ${c.to} is the address of their Glimpse account at ${c.host}.`,
    link: { label: "Yes, this is my account", url: c.confirmUrl },
    then: `The link opens a page where you confirm with a button; it works for ${c.hours} hours. If you have no such account, ignore this email: nothing is sent to you on its behalf unless the address is confirmed.`,
    host: c.host,
    messageId: { kind: "confirm", id: c.id, sentAt: c.sentAt },
  });
}
