/** What a mail transport sends: nothing more is needed to reproduce a mail exactly (a digest, a reset link). */
export interface MailMessage {
  /** Given to the mail library as parts, so nothing in a name is ever read as an address. */
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** Stable per recipient and period, so a mail system can tell a repeat from a new digest. */
  messageId: string;
}
