import type { Db } from "../../db/client.js";
import { env } from "../env.js";
import { limitKey } from "../net/client-address.js";
import { type Budget, takeHit } from "../rate-limit.js";
import { CONFIRMATIONS_PER_ADDRESS_DAY } from "../schemas/digests.js";

/** Who asks for mail to go out now: the account, and the client network it asks from (an IPv4 address or an IPv6 /64). */
export interface MailSender {
  userId: string;
  /** The account's own address: where "Send preview to me" goes. */
  email: string;
  client: string;
}

const HOUR = 60;
const DAY = 24 * 60;

/**
 * Budgets for mail sent on demand (confirmations and previews; scheduled digests go only to people
 * who confirmed). Sign-up is open and the mail server's reputation is the operator's, so each
 * account and each client network gets a few an hour and a day, whatever sites and links it
 * spreads them over. The account's own budgets come first: a client over them never counts
 * against its network's.
 */
function senderBudgets(sender: MailSender): Budget[] {
  const { mailsPerAccount: account, mailsPerNetwork: network } = env().digestLimits;
  const what = "digest emails (confirmations and previews)";
  return [
    { key: limitKey("digest-mail-account-hour", sender.userId), max: account.hour, windowMinutes: HOUR, message: `An account can send ${account.hour} ${what} an hour` },
    { key: limitKey("digest-mail-account-day", sender.userId), max: account.day, windowMinutes: DAY, message: `An account can send ${account.day} ${what} a day` },
    { key: limitKey("digest-mail-network-hour", sender.client), max: network.hour, windowMinutes: HOUR, message: `${network.hour} ${what} an hour can be sent from one network` },
    { key: limitKey("digest-mail-network-day", sender.client), max: network.day, windowMinutes: DAY, message: `${network.day} ${what} a day can be sent from one network` },
  ];
}

/**
 * Counts one confirmation email before it is sent. Last, and shared by everyone: one address gets
 * only a few a day from this server, whoever adds it. The message does not say whether others
 * asked too.
 */
export function takeConfirmationHit(db: Db, sender: MailSender, address: string, now: Date) {
  const perAddress: Budget = {
    key: limitKey("digest-confirm-address", address.trim().toLowerCase()),
    max: CONFIRMATIONS_PER_ADDRESS_DAY,
    windowMinutes: DAY,
    message: "No more confirmation emails go to this address today",
  };
  return takeHit(db, [...senderBudgets(sender), perAddress], now);
}

/** Counts one preview before it is built: the sender's budgets, then the site's. */
export function takePreviewHit(db: Db, sender: MailSender, site: Budget, now: Date) {
  return takeHit(db, [...senderBudgets(sender), site], now);
}
