// The mail transport is shared with account mails (resets); it lives in server/mail.
export * from "../mail/mailer.js";
