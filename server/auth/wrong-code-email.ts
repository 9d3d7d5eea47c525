import type { MailMessage } from "../mail/message.js";
import { composeNotice } from "./notice-email.js";

export const WRONG_CODE_SUBJECT = "Someone has your Glimpse password";

/**
 * Sent when a sign-in gave the right password and then a wrong two-factor code: whoever it was
 * knows the password. Our words and the account's address only.
 */
export function composeWrongCodeNotice(c: { to: string; forgotUrl: string; host: string; sentAt: Date; id: string }): MailMessage {
  return composeNotice({
    to: c.to,
    subject: WRONG_CODE_SUBJECT,
    says: `Someone signed in to the Glimpse account ${c.to} at ${c.host} with the right password, then gave a wrong two-factor code.`,
    link: { label: "Choose a new password", url: c.forgotUrl },
    then: "If that was not you, your password is known to someone else: choose a new one now. That ends their attempts at once. If it was you, nothing needs doing.",
    host: c.host,
    messageId: { kind: "wrong-code", id: c.id, sentAt: c.sentAt },
  });
}
